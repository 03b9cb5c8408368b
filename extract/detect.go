package extract

import (
	"bytes"
	"path"
	"strings"

	"github.com/gabriel-vasile/mimetype"
)

// kind is a coarse type and its MIME type.
type kind struct{ typ, mime string }

// byExt classifies file extensions (lower case, without the dot).
var byExt = map[string]kind{
	// Plain text.
	"txt": {"text", "text/plain"}, "text": {"text", "text/plain"}, "log": {"text", "text/plain"},
	"csv": {"text", "text/csv"}, "tsv": {"text", "text/tab-separated-values"},
	"rst": {"text", "text/x-rst"}, "adoc": {"text", "text/asciidoc"}, "org": {"text", "text/x-org"},
	"tex": {"text", "text/x-tex"}, "srt": {"text", "application/x-subrip"}, "vtt": {"text", "text/vtt"},
	"nfo": {"text", "text/plain"}, "me": {"text", "text/plain"},
	// Markdown.
	"md": {"markdown", "text/markdown"}, "markdown": {"markdown", "text/markdown"},
	"mdown": {"markdown", "text/markdown"}, "mkd": {"markdown", "text/markdown"},
	// Markup and documents.
	"html": {"html", "text/html"}, "htm": {"html", "text/html"}, "xhtml": {"html", "application/xhtml+xml"},
	"pdf":  {"pdf", "application/pdf"},
	"docx": {"docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
	"docm": {"docx", "application/vnd.ms-word.document.macroEnabled.12"},
	"xlsx": {"xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
	"xlsm": {"xlsx", "application/vnd.ms-excel.sheet.macroEnabled.12"},
	"pptx": {"pptx", "application/vnd.openxmlformats-officedocument.presentationml.presentation"},
	"pptm": {"pptx", "application/vnd.ms-powerpoint.presentation.macroEnabled.12"},
	"odt":  {"odt", "application/vnd.oasis.opendocument.text"},
	"ods":  {"ods", "application/vnd.oasis.opendocument.spreadsheet"},
	"odp":  {"odp", "application/vnd.oasis.opendocument.presentation"},
	"epub": {"epub", "application/epub+zip"},
	"rtf":  {"rtf", "application/rtf"},
	"eml":  {"email", "message/rfc822"}, "mht": {"email", "message/rfc822"}, "mhtml": {"email", "message/rfc822"},
	"doc": {"doc", "application/msword"}, "xls": {"xls", "application/vnd.ms-excel"},
	"ppt": {"ppt", "application/vnd.ms-powerpoint"},
	// Images.
	"png": {"image", "image/png"}, "jpg": {"image", "image/jpeg"}, "jpeg": {"image", "image/jpeg"},
	"gif": {"image", "image/gif"}, "webp": {"image", "image/webp"}, "bmp": {"image", "image/bmp"},
	"tif": {"image", "image/tiff"}, "tiff": {"image", "image/tiff"}, "svg": {"image", "image/svg+xml"},
	"ico": {"image", "image/x-icon"}, "heic": {"image", "image/heic"}, "avif": {"image", "image/avif"},
	// Audio and video.
	"mp3": {"audio", "audio/mpeg"}, "wav": {"audio", "audio/wav"}, "flac": {"audio", "audio/flac"},
	"ogg": {"audio", "audio/ogg"}, "m4a": {"audio", "audio/mp4"}, "opus": {"audio", "audio/opus"},
	"aac": {"audio", "audio/aac"},
	"mp4": {"video", "video/mp4"}, "mkv": {"video", "video/x-matroska"}, "webm": {"video", "video/webm"},
	"avi": {"video", "video/x-msvideo"}, "mov": {"video", "video/quicktime"}, "m4v": {"video", "video/x-m4v"},
	// Archives.
	"zip": {"archive", "application/zip"}, "tar": {"archive", "application/x-tar"},
	"gz": {"archive", "application/gzip"}, "tgz": {"archive", "application/gzip"},
	"bz2": {"archive", "application/x-bzip2"}, "xz": {"archive", "application/x-xz"},
	"zst": {"archive", "application/zstd"}, "7z": {"archive", "application/x-7z-compressed"},
	"rar": {"archive", "application/vnd.rar"}, "jar": {"archive", "application/java-archive"},
}

// codeExt maps source-code extensions to MIME types. Code is indexed as is.
var codeExt = map[string]string{
	"go": "text/x-go", "py": "text/x-python", "pyi": "text/x-python", "js": "text/javascript",
	"mjs": "text/javascript", "cjs": "text/javascript", "jsx": "text/javascript",
	"ts": "text/x-typescript", "tsx": "text/x-typescript", "java": "text/x-java",
	"c": "text/x-c", "h": "text/x-c", "cc": "text/x-c++", "cpp": "text/x-c++", "cxx": "text/x-c++",
	"hpp": "text/x-c++", "hh": "text/x-c++", "hxx": "text/x-c++", "m": "text/x-objcsrc", "mm": "text/x-objcsrc",
	"rs": "text/x-rust", "rb": "text/x-ruby", "php": "text/x-php", "cs": "text/x-csharp",
	"kt": "text/x-kotlin", "kts": "text/x-kotlin", "swift": "text/x-swift", "scala": "text/x-scala",
	"sh": "text/x-shellscript", "bash": "text/x-shellscript", "zsh": "text/x-shellscript",
	"fish": "text/x-shellscript", "ps1": "text/x-powershell", "bat": "text/x-msdos-batch",
	"sql": "application/sql", "yaml": "application/yaml", "yml": "application/yaml",
	"json": "application/json", "jsonl": "application/jsonl", "toml": "application/toml",
	"xml": "application/xml", "xsd": "application/xml", "xsl": "application/xml",
	"css": "text/css", "scss": "text/x-scss", "sass": "text/x-sass", "less": "text/x-less",
	"ini": "text/plain", "cfg": "text/plain", "conf": "text/plain", "properties": "text/plain",
	"env": "text/plain", "lua": "text/x-lua", "pl": "text/x-perl", "pm": "text/x-perl",
	"r": "text/x-r", "jl": "text/x-julia", "dart": "text/x-dart", "ex": "text/x-elixir",
	"exs": "text/x-elixir", "erl": "text/x-erlang", "hrl": "text/x-erlang", "hs": "text/x-haskell",
	"ml": "text/x-ocaml", "mli": "text/x-ocaml", "fs": "text/x-fsharp", "clj": "text/x-clojure",
	"lisp": "text/x-lisp", "el": "text/x-lisp", "scm": "text/x-scheme", "vim": "text/plain",
	"groovy": "text/x-groovy", "gradle": "text/x-groovy", "zig": "text/x-zig", "nim": "text/x-nim",
	"v": "text/x-verilog", "sv": "text/x-verilog", "vhd": "text/x-vhdl", "asm": "text/x-asm",
	"s": "text/x-asm", "proto": "text/x-protobuf", "graphql": "application/graphql",
	"tf": "text/x-terraform", "hcl": "text/x-hcl", "cmake": "text/x-cmake", "mk": "text/x-makefile",
	"vue": "text/x-vue", "svelte": "text/x-svelte", "diff": "text/x-diff", "patch": "text/x-diff",
	"gitignore": "text/plain", "dockerignore": "text/plain", "editorconfig": "text/plain",
	"mod": "text/plain", "sum": "text/plain", "lock": "text/plain",
}

// byBase classifies well-known file names without a telling extension.
var byBase = map[string]kind{
	"makefile": {"code", "text/x-makefile"}, "gnumakefile": {"code", "text/x-makefile"},
	"dockerfile": {"code", "text/x-dockerfile"}, "containerfile": {"code", "text/x-dockerfile"},
	"jenkinsfile": {"code", "text/x-groovy"}, "vagrantfile": {"code", "text/x-ruby"},
	"gemfile": {"code", "text/x-ruby"}, "rakefile": {"code", "text/x-ruby"},
	"cmakelists.txt": {"code", "text/x-cmake"}, "go.mod": {"code", "text/plain"},
	"readme": {"text", "text/plain"}, "license": {"text", "text/plain"}, "copying": {"text", "text/plain"},
	"authors": {"text", "text/plain"}, "changelog": {"text", "text/plain"}, "notice": {"text", "text/plain"},
	"todo": {"text", "text/plain"}, "install": {"text", "text/plain"},
}

// byMIME classifies detected MIME types (without parameters) when the name
// does not tell.
var byMIME = map[string]string{
	"text/plain": "text", "text/html": "html", "application/xhtml+xml": "html",
	"application/pdf": "pdf", "application/rtf": "rtf", "text/rtf": "rtf",
	"message/rfc822": "email", "application/epub+zip": "epub",
	"application/vnd.openxmlformats-officedocument.wordprocessingml.document":   "docx",
	"application/vnd.openxmlformats-officedocument.spreadsheetml.sheet":         "xlsx",
	"application/vnd.openxmlformats-officedocument.presentationml.presentation": "pptx",
	"application/vnd.oasis.opendocument.text":                                   "odt",
	"application/vnd.oasis.opendocument.spreadsheet":                            "ods",
	"application/vnd.oasis.opendocument.presentation":                           "odp",
	"application/msword": "doc", "application/vnd.ms-excel": "xls", "application/vnd.ms-powerpoint": "ppt",
	"application/zip": "archive", "application/gzip": "archive", "application/x-tar": "archive",
	"application/x-bzip2": "archive", "application/x-xz": "archive", "application/zstd": "archive",
	"application/x-7z-compressed": "archive", "application/x-rar-compressed": "archive",
	"application/vnd.rar": "archive", "application/jar": "archive", "application/java-archive": "archive",
	"application/json": "code", "application/xml": "code", "text/xml": "code",
	"text/x-python": "code", "text/x-shellscript": "code", "text/x-php": "code",
	"text/javascript": "code", "application/javascript": "code", "text/x-lua": "code",
	"text/x-perl": "code", "text/x-tcl": "code", "text/csv": "text", "text/tab-separated-values": "text",
	"text/vtt": "text", "application/x-subrip": "text",
}

// textual reports whether typ is extracted by decoding the bytes as text.
func textual(typ string) bool {
	return typ == "text" || typ == "markdown" || typ == "code" || typ == "html" || typ == "email" || typ == "rtf"
}

// TypeOf classifies a file by its name only, for cheap facets and filters. It
// returns the coarse type ("pdf", "code", "image", ...) and a MIME type;
// unknown names are ("binary", "application/octet-stream").
func TypeOf(name string) (typ, mime string) {
	base := strings.ToLower(path.Base(strings.ReplaceAll(name, "\\", "/")))
	if k, ok := byBase[base]; ok {
		return k.typ, k.mime
	}
	ext := ""
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		ext = base[i+1:]
	}
	if k, ok := byExt[ext]; ok {
		return k.typ, k.mime
	}
	if m, ok := codeExt[ext]; ok {
		return "code", m
	}
	if stem := strings.TrimSuffix(base, "."+ext); ext != "" {
		// README.old, LICENSE.gpl, Dockerfile.dev ...
		if k, ok := byBase[stem]; ok {
			return k.typ, k.mime
		}
	}
	return "binary", "application/octet-stream"
}

// detect classifies a file by its name and its first bytes.
func detect(name string, head []byte) (typ, mime string) {
	typ, mime = TypeOf(name)
	detected := mimetype.Detect(head)
	dm := baseMIME(detected.String())
	switch {
	case typ == "binary":
		// The name does not tell: trust the content.
		if t, ok := byMIME[dm]; ok {
			typ = t
		} else if t := baseType(dm); t != "" {
			typ = t
		} else if looksText(head) {
			typ = "text"
		}
		if typ == "text" && hasUTF16BOM(head) {
			dm = "text/plain"
		}
		return typ, dm
	case textual(typ) && typ != "email" && typ != "rtf" && !looksText(head):
		// A "text" file that is not text (a binary named .txt).
		return "binary", dm
	case typ == "image" || typ == "audio" || typ == "video":
		if baseType(dm) == typ {
			mime = dm // the content knows the precise subtype
		}
	}
	return typ, mime
}

func baseType(mime string) string {
	switch {
	case strings.HasPrefix(mime, "image/"):
		return "image"
	case strings.HasPrefix(mime, "audio/"):
		return "audio"
	case strings.HasPrefix(mime, "video/"):
		return "video"
	}
	return ""
}

func baseMIME(m string) string {
	if i := strings.IndexByte(m, ';'); i >= 0 {
		m = m[:i]
	}
	return strings.TrimSpace(m)
}

func hasUTF16BOM(b []byte) bool {
	return bytes.HasPrefix(b, []byte{0xff, 0xfe}) || bytes.HasPrefix(b, []byte{0xfe, 0xff})
}

// looksText reports whether head can be the start of a text file: it has a
// UTF-16 byte order mark, or no NUL byte and few control characters.
func looksText(head []byte) bool {
	if hasUTF16BOM(head) {
		return true
	}
	if bytes.IndexByte(head, 0) >= 0 {
		return false
	}
	ctl := 0
	for _, c := range head {
		if c < 0x20 && c != '\n' && c != '\r' && c != '\t' && c != '\f' && c != '\v' && c != 0x1b {
			ctl++
		}
	}
	return ctl*20 <= len(head) // at most 5% control characters
}
