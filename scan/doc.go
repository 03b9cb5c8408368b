// Package scan walks and watches a node's shares and turns their files into
// records.
//
// Contract:
//   - A Scanner does nothing until Run(ctx); Run starts one loop per share
//     and returns once every goroutine it started (share loops, hashing and
//     extraction jobs, file watchers) has stopped after ctx is cancelled.
//   - Each share is walked completely at start, every Config.Interval, on
//     Rescan and whenever its watcher overflows or fails. Between walks,
//     fsnotify events (one watch per directory, since fsnotify is not
//     recursive) are debounced (Config.Debounce, at most Config.MaxDelay
//     under a continuous burst) and handled in batches, also in the middle
//     of a long walk, so a change is handed to the Sink within about a
//     second.
//   - Change detection: a file whose size and modification time equal the
//     Catalog's state is unchanged and not read. Otherwise it is hashed
//     (sha256); if the hash equals the recorded one only a Touch is sent,
//     else the file is extracted and a new record (new file id) is sent. A
//     restart therefore re-reads nothing that did not change.
//   - The Sink receives batches (puts, touches, deletes; each record key at
//     most once per batch, the latest change winning), never concurrently.
//     A failed Apply is logged and followed by a full walk after
//     Config.RetryDelay; nothing is lost because the Catalog still holds
//     the old state.
//   - Deletions: a full walk deletes the records of files it no longer
//     finds, but only after checking that each one is really gone (or now
//     ignored, or no longer a regular file): a file that cannot be examined
//     (permission error, unreadable directory) keeps its record, and an
//     aborted walk (cancelled, share root unreadable) deletes nothing.
//
// Safety policy, with the reasons counted in Progress:
//   - Files are opened through an os.Root on the share, so no path can
//     escape it; only regular files are opened, non-blocking, and checked
//     to be the same file that was listed, so a fifo never blocks a scan.
//   - Symbolic links are never followed: a link leading out of the share is
//     skipped with a warning, a link inside the share is skipped because its
//     target is indexed under its own path, a broken link is skipped.
//   - Devices, fifos and sockets are skipped; so are names that are not
//     valid UTF-8 (they could not be served back by path).
//   - Ignore patterns (Config.Ignore, default DefaultIgnore) match a name
//     (or, with a "/", a whole share-relative path): hidden files and
//     directories (".*", which covers .git and editor swap files),
//     node_modules, __pycache__, backup and temporary files, Office lock
//     files. An ignored directory is neither walked nor watched.
//   - A file that vanishes mid-scan is deleted; one that changes while it is
//     read is left for the event (or walk) that its change causes; an
//     unreadable one is skipped and keeps its previous record.
//   - Size limits belong to the Extractor: a file too large to parse comes
//     back with metadata only. Every file is hashed (the hash names the
//     version and is the download's ETag), at most Config.Workers at a time.
//   - A panicking Extractor marks the file "failed" instead of crashing.
package scan
