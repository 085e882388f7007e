package library

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"coalition/internal/errs"
)

// Formats of uploaded files.
const (
	FormatPDF  = "pdf"
	FormatDOCX = "docx"
	FormatODT  = "odt"
	FormatTXT  = "txt"
	FormatHTML = "html"
)

// ContentType is the type a format is served with.
func ContentType(format string) string {
	switch format {
	case FormatPDF:
		return "application/pdf"
	case FormatDOCX:
		return "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
	case FormatODT:
		return "application/vnd.oasis.opendocument.text"
	case FormatTXT:
		return "text/plain; charset=utf-8"
	case FormatHTML:
		return "text/html; charset=utf-8"
	}
	return "application/octet-stream"
}

// FormatLabel names a format for readers ("PDF").
func FormatLabel(format string) string {
	switch format {
	case FormatPDF:
		return "PDF"
	case FormatDOCX:
		return "Word"
	case FormatODT:
		return "OpenDocument"
	case FormatTXT:
		return "Text"
	case FormatHTML:
		return "HTML"
	}
	return strings.ToUpper(format)
}

// FileStore keeps uploaded files under DIR/documents, each named after the
// SHA-256 of its content (so the same file uploaded twice is stored once).
// Files are written to DIR/tmp first and renamed into place: a reader never
// sees half a file.
type FileStore struct {
	dir string
}

// NewFileStore returns a store under dir (the data directory's files/).
func NewFileStore(dir string) (*FileStore, error) {
	for _, d := range []string{filepath.Join(dir, "documents"), filepath.Join(dir, "tmp")} {
		if err := os.MkdirAll(d, 0o750); err != nil {
			return nil, fmt.Errorf("file store: %w", err)
		}
	}
	return &FileStore{dir: dir}, nil
}

// Path returns where the file with checksum sum lives.
func (fs *FileStore) Path(sum string) string {
	if len(sum) < 4 || strings.ContainsAny(sum, `/\.`) {
		return filepath.Join(fs.dir, "documents", "invalid")
	}
	return filepath.Join(fs.dir, "documents", sum[:2], sum)
}

// Stored is a file written to the store.
type Stored struct {
	Checksum string
	Size     int64
	Format   string
	Name     string // the original file name, cleaned
}

// Put copies r into the store after checking it: not empty, not over max
// bytes, and really of the format its name claims. The returned error is
// an errs.InvalidError with a message for the person who uploaded it.
// When sync is false the file is not flushed to disk (bulk imports flush
// once at the end).
func (fs *FileStore) Put(name string, r io.Reader, max int64, sync bool) (Stored, error) {
	name = cleanName(name)
	ext := strings.ToLower(filepath.Ext(name))
	want, ok := map[string]string{".pdf": FormatPDF, ".docx": FormatDOCX, ".odt": FormatODT, ".txt": FormatTXT, ".text": FormatTXT,
		".html": FormatHTML, ".htm": FormatHTML}[ext]
	if !ok {
		if ext == "" {
			ext = "(none)"
		}
		return Stored{}, errs.Invalid("file", fmt.Sprintf("%s: only PDF, Word (.docx), OpenDocument (.odt), text (.txt) and HTML files can be added; this one's extension is %s.", name, ext))
	}
	tmp, err := os.CreateTemp(filepath.Join(fs.dir, "tmp"), "upload-*")
	if err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", name, err)
	}
	tmpName := tmp.Name()
	done := false
	defer func() {
		if !done {
			tmp.Close()
			os.Remove(tmpName)
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), io.LimitReader(r, max+1))
	if err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", name, err)
	}
	if n == 0 {
		return Stored{}, errs.Invalid("file", name+" is empty.")
	}
	if n > max {
		return Stored{}, errs.Invalid("file", fmt.Sprintf("%s is larger than the limit of %d MB.", name, max>>20))
	}
	if sync {
		if err := tmp.Sync(); err != nil {
			return Stored{}, fmt.Errorf("store %s: %w", name, err)
		}
	}
	if err := tmp.Close(); err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", name, err)
	}
	if err := checkFormat(tmpName, name, want); err != nil {
		return Stored{}, err
	}
	sum := hex.EncodeToString(h.Sum(nil))
	dst := fs.Path(sum)
	if err := os.MkdirAll(filepath.Dir(dst), 0o750); err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", name, err)
	}
	if err := os.Rename(tmpName, dst); err != nil {
		return Stored{}, fmt.Errorf("store %s: %w", name, err)
	}
	done = true
	return Stored{Checksum: sum, Size: n, Format: want, Name: name}, nil
}

// Remove deletes a stored file (a missing file is not an error).
func (fs *FileStore) Remove(sum string) error {
	err := os.Remove(fs.Path(sum))
	if err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("remove file %s: %w", sum, err)
	}
	return nil
}

// SweepTemp removes upload leftovers older than an hour (a crash mid-upload).
func (fs *FileStore) SweepTemp() error {
	ents, err := os.ReadDir(filepath.Join(fs.dir, "tmp"))
	if err != nil {
		return fmt.Errorf("sweep uploads: %w", err)
	}
	for _, e := range ents {
		info, err := e.Info()
		if err == nil && time.Since(info.ModTime()) > time.Hour {
			os.Remove(filepath.Join(fs.dir, "tmp", e.Name()))
		}
	}
	return nil
}

// Checksums lists the checksums of stored files older than an hour (for the
// orphan sweep: a younger file may belong to an upload still committing).
func (fs *FileStore) Checksums() ([]string, error) {
	var out []string
	root := filepath.Join(fs.dir, "documents")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() && len(d.Name()) == 64 {
			if info, err := d.Info(); err == nil && time.Since(info.ModTime()) > time.Hour {
				out = append(out, d.Name())
			}
		}
		return nil
	})
	return out, err
}

// cleanName keeps the base name of an uploaded file, without path parts or
// control characters, at most 200 bytes.
func cleanName(name string) string {
	name = strings.ReplaceAll(name, `\`, "/")
	name = filepath.Base(strings.ToValidUTF8(name, ""))
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 || r == '"' {
			return -1
		}
		return r
	}, name)
	if name == "." || name == "/" || name == "" {
		name = "file"
	}
	if len(name) > 200 {
		ext := filepath.Ext(name)
		if len(ext) > 10 {
			ext = ""
		}
		name = strings.ToValidUTF8(name[:200-len(ext)], "") + ext
	}
	return name
}

// checkFormat verifies that the file at path is what its extension says:
// a renamed HTML page is not a PDF, a ZIP without a Word body is not a DOCX.
func checkFormat(path, name, want string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("check %s: %w", name, err)
	}
	defer f.Close()
	head := make([]byte, 4096)
	n, err := io.ReadFull(f, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return fmt.Errorf("check %s: %w", name, err)
	}
	head = head[:n]
	looksLike := describe(head)
	bad := func(what string) error {
		return errs.Invalid("file", fmt.Sprintf("%s is named like %s but is not one (it looks like %s). Check the file and try again.", name, what, looksLike))
	}
	switch want {
	case FormatPDF:
		if !bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")) {
			return bad("a PDF")
		}
	case FormatDOCX, FormatODT:
		if !bytes.HasPrefix(head, []byte("PK\x03\x04")) {
			if want == FormatDOCX {
				return bad("a Word document (.docx)")
			}
			return bad("an OpenDocument text (.odt)")
		}
		zr, err := zip.OpenReader(path)
		if err != nil {
			return errs.Invalid("file", name+" is a damaged ZIP archive, so it cannot be a "+FormatLabel(want)+" document.")
		}
		defer zr.Close()
		found := false
		for _, zf := range zr.File {
			if want == FormatDOCX && zf.Name == "word/document.xml" {
				found = true
			}
			if want == FormatODT && zf.Name == "content.xml" {
				found = true
			}
		}
		if !found {
			if want == FormatDOCX {
				return bad("a Word document (.docx)")
			}
			return bad("an OpenDocument text (.odt)")
		}
	case FormatTXT, FormatHTML:
		if looksBinary(head) {
			if want == FormatTXT {
				return bad("a text file")
			}
			return bad("an HTML page")
		}
	}
	return nil
}

// looksBinary reports whether a file's start is not text: NUL bytes or
// known binary signatures (UTF-16 text with a BOM counts as text).
func looksBinary(head []byte) bool {
	if bytes.HasPrefix(head, []byte{0xFF, 0xFE}) || bytes.HasPrefix(head, []byte{0xFE, 0xFF}) {
		return false
	}
	if bytes.HasPrefix(head, []byte("%PDF-")) || bytes.HasPrefix(head, []byte("PK\x03\x04")) {
		return true
	}
	return bytes.IndexByte(head, 0) >= 0
}

// describe names what a file's first bytes look like, for messages.
func describe(head []byte) string {
	switch {
	case bytes.Contains(head[:min(len(head), 1024)], []byte("%PDF-")):
		return "a PDF"
	case bytes.HasPrefix(head, []byte("PK\x03\x04")):
		return "a ZIP archive"
	}
	ct := http.DetectContentType(head)
	switch {
	case strings.HasPrefix(ct, "text/html"):
		return "an HTML page"
	case strings.HasPrefix(ct, "text/plain"):
		return "plain text"
	case strings.HasPrefix(ct, "image/"):
		return "an image"
	case ct == "application/x-msdownload" || bytes.HasPrefix(head, []byte("MZ")) || bytes.HasPrefix(head, []byte("\x7fELF")):
		return "a program"
	}
	if utf8.Valid(head) {
		return "text"
	}
	return "binary data"
}
