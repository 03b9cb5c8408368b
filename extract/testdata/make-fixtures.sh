#!/usr/bin/env bash
# make-fixtures.sh regenerates the binary document fixtures of package extract
# from the hand-written sources in src/. The tests never run it: they read the
# committed outputs. Run it from any directory after installing the tools:
#
#   apt-get update && apt-get install -y --no-install-recommends \
#       libreoffice-writer libreoffice-calc libreoffice-impress ghostscript
#   bash extract/testdata/make-fixtures.sh
#   go test ./extract -run TestGolden -update   # then review the .golden diffs
#
# Outputs (each a few KB):
#   report.{odt,docx,rtf,epub,pdf}  from src/report.fodt  (LibreOffice Writer)
#   budget.{ods,xlsx}               from src/budget.fods  (LibreOffice Calc)
#   deck.{odp,pptx}                 from src/deck.fodp    (LibreOffice Impress, 11 slides)
#   ghost.pdf                       from src/ghost.ps     (Ghostscript ps2pdf)
#   cp1252.txt, utf16le.txt, utf16be.txt  re-encoded from src/*.utf8 (iconv)
# The other fixtures (.eml, .html, .md, source files) are written by hand.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
src="$here/src"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT

# LibreOffice needs a writable profile; keep it out of $HOME.
lo() { soffice -env:UserInstallation="file://$tmp/profile" --headless --norestore "$@" >/dev/null 2>&1; }

lo --convert-to odt --outdir "$tmp" "$src/report.fodt"
lo --convert-to docx --outdir "$tmp" "$src/report.fodt"
lo --convert-to rtf --outdir "$tmp" "$src/report.fodt"
lo --convert-to epub --outdir "$tmp" "$src/report.fodt"
lo --convert-to pdf --outdir "$tmp" "$src/report.fodt"
lo --convert-to ods --outdir "$tmp" "$src/budget.fods"
lo --convert-to xlsx --outdir "$tmp" "$src/budget.fods"
lo --convert-to odp --outdir "$tmp" "$src/deck.fodp"
lo --convert-to pptx --outdir "$tmp" "$src/deck.fodp"
for f in report.odt report.docx report.rtf report.epub report.pdf budget.ods budget.xlsx deck.odp deck.pptx; do
	cp "$tmp/$f" "$here/$f"
done

ps2pdf "$src/ghost.ps" "$here/ghost.pdf"

iconv -f UTF-8 -t CP1252 "$src/cp1252.utf8" >"$here/cp1252.txt"
# UTF-16 with a byte order mark.
{ printf '\xff\xfe'; iconv -f UTF-8 -t UTF-16LE "$src/utf16.utf8"; } >"$here/utf16le.txt"
{ printf '\xfe\xff'; iconv -f UTF-8 -t UTF-16BE "$src/utf16.utf8"; } >"$here/utf16be.txt"

ls -l "$here"/*.{odt,docx,rtf,epub,pdf,ods,xlsx,odp,pptx,txt}
