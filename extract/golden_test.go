package extract

import (
	"bytes"
	"context"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var update = flag.Bool("update", false, "rewrite the testdata .golden files from the current output")

// fixture describes what a committed fixture must yield. The words are the
// distinctive words written into its source: they must appear whatever the
// golden file says.
type fixture struct {
	file   string
	typ    string
	title  string
	words  []string
	absent []string          // words that must not appear (hidden markup, script)
	meta   map[string]string // Meta entries that must be present
}

var reportWords = []string{"Introduction to Aardvarks", "nocturnal burrowing mammal", "termites and ants",
	"café", "naïve", "Zürich", "señor", "Ελληνικά", "Burrow Measurements", "Location", "Kalahari", "42",
	"xylophone", "quetzal", "Conclusion", "Zymurgy", "juxtaposition"}

var deckWords = []string{"marker01 alpha", "marker02 bravo", "marker09 india", "marker10 juliett",
	"marker11 kilo", "Slide 1 heading", "Slide 11 heading"}

var fixtures = []fixture{
	{file: "report.docx", typ: "docx", title: "Quarterly Aardvark Report", words: reportWords,
		meta: map[string]string{"author": "Ada Lovelace", "subject": "Burrowing statistics"}},
	{file: "report.odt", typ: "odt", title: "Quarterly Aardvark Report", words: reportWords,
		meta: map[string]string{"author": "Ada Lovelace", "subject": "Burrowing statistics"}},
	{file: "report.rtf", typ: "rtf", title: "Quarterly Aardvark Report", words: append([]string{"日本語"}, reportWords...),
		absent: []string{"Times New Roman", "Heading 1", "Normal"}},
	{file: "report.epub", typ: "epub", title: "Quarterly Aardvark Report", words: reportWords,
		meta: map[string]string{"author": "Ada Lovelace", "language": "en"}},
	{file: "report.pdf", typ: "pdf", title: "Quarterly Aardvark Report", words: append([]string{"日本語"}, reportWords...),
		meta: map[string]string{"pages": "1", "author": "Ada Lovelace"}},
	{file: "ghost.pdf", typ: "pdf", title: "Ghostscript Lighthouse Memo",
		words: []string{"Lighthouse keepers log the foghorn schedule.", "The beacon rotates every twelve seconds near Finisterre.",
			"Periwinkle barnacles cling to the granite pier.", "Second page: cormorant sightings tallied."},
		meta: map[string]string{"pages": "2"}},
	{file: "budget.xlsx", typ: "xlsx", title: "Expedition Budget",
		words: []string{"Supplies", "Item Cost", "Lantern 17.5", "Compass 230", "Lantern 18", "Crew", "Magellan navigator", "Shackleton quartermaster"},
		meta:  map[string]string{"sheets": "2"}},
	{file: "budget.ods", typ: "ods", title: "Expedition Budget",
		words: []string{"Supplies", "Item Cost", "Lantern 17.5", "Compass 230", "Crew", "Magellan navigator", "Shackleton quartermaster"},
		meta:  map[string]string{"author": "Grace Hopper"}},
	{file: "deck.pptx", typ: "pptx", title: "Phonetic Alphabet Deck", words: deckWords, meta: map[string]string{"slides": "11"}},
	{file: "deck.odp", typ: "odp", title: "Phonetic Alphabet Deck", words: deckWords, meta: map[string]string{"slides": "11"}},
	{file: "mail.eml", typ: "email", title: "Radium samples – weekly übersicht",
		words: []string{"Björn Åström <bjorn@example.org>", "Marie Curie <marie@example.org>", "polonium measurements are ready",
			"stable at 42 divisions", "Café meeting", "decay-chart.png", "spectroscopy – uranium ore from Joachimsthal"},
		absent: []string{"HTMLONLYWORD", "SCRIPTWORD", "ignored"},
		meta: map[string]string{"from": "Björn Åström <bjorn@example.org>", "date": "2023-03-14T08:26:53Z",
			"attachments": "decay-chart.png", "cc": "lab@example.org"}},
	{file: "page.html", typ: "html", title: "Pangolin Field Guide & Notes",
		words:  []string{"Pangolins of the Savanna", "keratin scales", "ants & termites", "Ground pangolin", "Temminck", "15 kg", "indented code block", "café €5 🦎 lizard"},
		absent: []string{"SCRIPTTOKEN", "font-family", "NOSCRIPTWORD", "TEMPLATEWORD"},
		meta:   map[string]string{"author": "Jane Goodall", "description": "Scales, tongues and termites"}},
	{file: "notes.md", typ: "markdown", title: "Hedgehog Husbandry Notes",
		words:  []string{"Hedgehog Care Manual", "Hedgehogs are insectivores and need plenty of exercise.", "See the wiki and a photo.", "Feeding Schedule", "Mealworms in the evening", "scale.read_grams()", "def feed(hedgehog):", "Setext Heading Example", "https://example.org/hedgehogs", "snake_case_identifier"},
		absent: []string{"**", "](", "```", "tags:", "----"}},
	{file: "cp1252.txt", typ: "text", words: []string{"Crème brûlée", "Besançon", "“voilà” — déjà vu", "œnophile", "12€", "naïve façade"},
		meta: map[string]string{"charset": "windows-1252"}},
	{file: "utf16le.txt", typ: "text", words: []string{"Grüße aus Köln", "медведь и балалайка", "熊猫 竹子", "🦉 owl"},
		meta: map[string]string{"charset": "utf-16le"}},
	{file: "utf16be.txt", typ: "text", words: []string{"Grüße aus Köln", "медведь и балалайка", "熊猫 竹子", "🦉 owl"},
		meta: map[string]string{"charset": "utf-16be"}},
	{file: "code/server.go", typ: "code", words: []string{"sync.Mutex", "parseConfig", "ünïcödé", "tokens int"}},
	{file: "code/loader.py", typ: "code", words: []string{"def read_file(path: str) -> dict:", "CapybaraCensus", "count_wetland"}},
	{file: "code/lib.rs", typ: "code", words: []string{"ocelot_checksum", "wrapping_mul"}},
	{file: "code/app.ts", typ: "code", words: []string{"NarwhalSighting", "tuskLength", "${s.fjord}"}},
	{file: "code/schema.sql", typ: "code", words: []string{"wombat_burrows", "depth_cm > 100"}},
	{file: "code/config.yaml", typ: "code", words: []string{"axolotl-tracker", "regenerate_limbs: true"}},
	{file: "code/Makefile", typ: "code", words: []string{"bin/tapir"}},
	{file: "code/legacy.c", typ: "code", words: []string{"quokka_smiles", "#include <stdio.h>"}},
}

// normalize collapses all white space to single spaces.
func normalize(s string) string { return strings.Join(strings.Fields(s), " ") }

func extractFixture(t testing.TB, x *Extractor, file string) (Result, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", file))
	if err != nil {
		t.Fatal(err)
	}
	return x.Extract(context.Background(), filepath.Base(file), bytes.NewReader(b), int64(len(b)))
}

func TestGolden(t *testing.T) {
	x := New(DefaultLimits())
	for _, fx := range fixtures {
		t.Run(fx.file, func(t *testing.T) {
			res, err := extractFixture(t, x, fx.file)
			if err != nil {
				t.Fatalf("Extract: %v", err)
			}
			if res.Type != fx.typ || res.Extractor == "" {
				t.Errorf("Type, Extractor = %q, %q; want %q and an extractor", res.Type, res.Extractor, fx.typ)
			}
			if res.Title != fx.title {
				t.Errorf("Title = %q, want %q", res.Title, fx.title)
			}
			if !utf8.ValidString(res.Text) || res.Truncated {
				t.Errorf("text valid UTF-8 = %v, truncated = %v", utf8.ValidString(res.Text), res.Truncated)
			}
			text := normalize(res.Text)
			for _, w := range fx.words {
				if !strings.Contains(text, w) {
					t.Errorf("text lacks %q", w)
				}
			}
			for _, w := range fx.absent {
				if strings.Contains(text, w) {
					t.Errorf("text has %q, which is not visible text", w)
				}
			}
			for k, v := range fx.meta {
				if res.Meta[k] != v {
					t.Errorf("Meta[%q] = %q, want %q", k, res.Meta[k], v)
				}
			}
			golden := filepath.Join("testdata", fx.file+".golden")
			if *update {
				if err := os.WriteFile(golden, []byte(res.Text+"\n"), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -run TestGolden -update)", err)
			}
			if normalize(string(want)) != text {
				t.Errorf("text differs from %s:\ngot:  %s\nwant: %s", golden, text, normalize(string(want)))
			}
		})
	}
}
