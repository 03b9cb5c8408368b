package store

import (
	"bufio"
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"github.com/distrisearch/distrisearch"
	bolt "go.etcd.io/bbolt"
)

const crashEnv = "DISTRISEARCH_STORE_CRASH_PATH"

// TestCrashHelper is the child process of TestCrashKeepsAcknowledgedWrites:
// it writes until it is killed and prints the number of each acknowledged Put.
func TestCrashHelper(t *testing.T) {
	path := os.Getenv(crashEnv)
	if path == "" {
		t.Skip("helper process only")
	}
	s, err := Open(path, Options{})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	for i := 0; ; i++ {
		// Each Put adds a new file and replaces the version of hot.txt.
		text := strings.Repeat(fmt.Sprintf("version %d ", i), 100)
		if err := s.Put(rec("docs", fmt.Sprintf("f%06d.txt", i), fmt.Sprint("h", i), text),
			rec("docs", "hot.txt", fmt.Sprint("hot", i), text)); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ok", i)
	}
}

// TestCrashKeepsAcknowledgedWrites kills a writing process with SIGKILL and
// checks that every acknowledged Put survived and the buckets agree.
func TestCrashKeepsAcknowledgedWrites(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	path := filepath.Join(t.TempDir(), "s.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestCrashHelper$")
	cmd.Env = append(os.Environ(), crashEnv+"="+path)
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	acked := -1
	sc := bufio.NewScanner(out)
	for sc.Scan() && acked < 40 {
		f := strings.Fields(sc.Text())
		if len(f) == 2 && f[0] == "ok" {
			acked, _ = strconv.Atoi(f[1])
		} else if len(f) > 0 && f[0] == "error" {
			t.Fatalf("child: %s", sc.Text())
		}
	}
	cmd.Process.Kill()
	cmd.Wait()
	if acked < 40 {
		t.Fatalf("child acknowledged only %d writes", acked)
	}

	s := open(t, path)
	for i := 0; i <= acked; i++ {
		id := distrisearch.FileID(node, fmt.Sprintf("docs/f%06d.txt", i), fmt.Sprint("h", i))
		if _, err := s.Content(id); err != nil {
			t.Fatalf("acknowledged write %d lost: %v", i, err)
		}
	}
	hot, err := s.ByKey(distrisearch.RecordKey(node, "docs", "hot.txt"))
	if err != nil {
		t.Fatal(err)
	}
	if v, _ := strconv.Atoi(strings.TrimPrefix(hot.ContentHash, "hot")); v < acked {
		t.Fatalf("hot.txt at version %d, %d was acknowledged", v, acked)
	}
	if err := checkConsistent(s); err != nil {
		t.Fatal(err)
	}
	// Nothing cleared the outbox: every record that survived is marked.
	n, _ := s.Count()
	if m, err := s.OutboxLen(); err != nil || m != n {
		t.Fatalf("%d records, %d outbox marks (%v)", n, m, err)
	}
	err = s.ForEach("", func(r distrisearch.Record) error {
		if _, ok, err := s.outboxSeq(r.Key()); err != nil || !ok {
			return fmt.Errorf("record %q has no outbox mark (%v)", r.Key(), err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// outboxSeq returns the mark of key.
func (s *Store) outboxSeq(key string) (seq uint64, ok bool, err error) {
	err = s.db.View(func(tx *bolt.Tx) error {
		v := s.buckets(tx).out.Get([]byte(key))
		if v == nil {
			return nil
		}
		ok = true
		seq, err = decodeSeq([]byte(key), v)
		return err
	})
	return seq, ok, err
}

// checkConsistent verifies that the four buckets describe the same records:
// every record has a state and its file id, every file id resolves to a
// record with that id, and text exists only for records.
func checkConsistent(s *Store) error {
	return s.db.View(func(tx *bolt.Tx) error {
		b := s.buckets(tx)
		if n, m := b.rec.Stats().KeyN, b.fid.Stats().KeyN; n != m || n != b.st.Stats().KeyN {
			return fmt.Errorf("records %d, file ids %d, states %d", n, m, b.st.Stats().KeyN)
		}
		err := b.rec.ForEach(func(k, v []byte) error {
			id, err := fileIDOf(v)
			if err != nil {
				return err
			}
			if !bytes.Equal(b.fid.Get(id), k) {
				return fmt.Errorf("record %q: file id does not resolve to it", k)
			}
			if b.st.Get(k) == nil {
				return fmt.Errorf("record %q has no scan state", k)
			}
			return nil
		})
		if err != nil {
			return err
		}
		return b.txt.ForEach(func(k, _ []byte) error {
			if b.rec.Get(k) == nil {
				return fmt.Errorf("text without record: %q", k)
			}
			return nil
		})
	})
}
