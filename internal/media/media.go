// Package media stores the images editors upload: it checks them (format,
// and the pixel count before decoding, so a small file that would expand to
// gigabytes is refused), turns them upright, and keeps a few widths so that
// pages load a size that fits and know each image's height before it loads.
package media

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/draw"
	_ "image/gif" // decoders for DecodeConfig and Decode
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"coalition/internal/db"
	"coalition/internal/errs"

	xdraw "golang.org/x/image/draw"
	_ "golang.org/x/image/webp" // WebP uploads
)

// Widths are the variant widths kept for each image (plus the original
// width when it is smaller than the largest).
var Widths = []int{480, 960, 1600, 2400}

// DisplayWidth is the width put in articles: the text column is about
// 45rem, and 960 pixels keep it sharp on most screens (srcset offers more).
const DisplayWidth = 960

// Limits on what is accepted.
const (
	MaxPixels    = 40_000_000 // 40 megapixels: a phone photo is 12–50
	MaxDimension = 16_000
)

// Sizes is the sizes attribute that goes with Srcset.
const Sizes = "(max-width: 48rem) 100vw, 45rem"

// Image is an uploaded image.
type Image struct {
	ID         int64
	CreatedAt  time.Time
	UploadedBy int64
	Name       string
	Ext        string // jpg or png
	Width      int    // of the largest variant
	Height     int
	Widths     []int // ascending
	Bytes      int64 // of all variants
}

// URL is the address of the variant of width w.
func (im Image) URL(w int) string {
	return "/media/" + strconv.FormatInt(im.ID, 10) + "/" + strconv.Itoa(w) + "." + im.Ext
}

// Fit returns the largest variant width not above w (the smallest if all are).
func (im Image) Fit(w int) int {
	best := im.Widths[0]
	for _, v := range im.Widths {
		if v <= w {
			best = v
		}
	}
	return best
}

// Src is the address to put in an article.
func (im Image) Src() string { return im.URL(im.Fit(DisplayWidth)) }

// HeightAt is the height of the variant of width w.
func (im Image) HeightAt(w int) int {
	if im.Width == 0 {
		return 0
	}
	return max(1, (im.Height*w+im.Width/2)/im.Width)
}

// Srcset lists every variant for the srcset attribute.
func (im Image) Srcset() string {
	parts := make([]string, len(im.Widths))
	for i, w := range im.Widths {
		parts[i] = im.URL(w) + " " + strconv.Itoa(w) + "w"
	}
	return strings.Join(parts, ", ")
}

// Markdown is the snippet that puts the image in an article.
func (im Image) Markdown(alt string) string {
	alt = strings.NewReplacer("[", "(", "]", ")", "\n", " ").Replace(alt)
	return "![" + alt + "](" + im.Src() + ")"
}

// Store keeps images in the database (metadata) and under dir (files).
type Store struct {
	db  *db.DB
	dir string
	now func() time.Time
	sem chan struct{} // decoding big images takes memory: two at a time

	mu    sync.Mutex
	cache map[int64]Image
}

// NewStore returns a Store keeping files under dataDir/files/media.
func NewStore(d *db.DB, dataDir string, now func() time.Time) *Store {
	if now == nil {
		now = time.Now
	}
	return &Store{db: d, dir: filepath.Join(dataDir, "files", "media"), now: func() time.Time { return now().UTC() },
		sem: make(chan struct{}, 2), cache: map[int64]Image{}}
}

// Dir is where the files are.
func (s *Store) Dir() string { return s.dir }

var srcRe = regexp.MustCompile(`^/media/([0-9]{1,18})/([0-9]{1,5})\.(jpg|png)$`)

// ParseSrc reads an image address made by URL.
func ParseSrc(src string) (id int64, width int, ext string, ok bool) {
	m := srcRe.FindStringSubmatch(src)
	if m == nil {
		return 0, 0, "", false
	}
	id, err1 := strconv.ParseInt(m[1], 10, 64)
	w, err2 := strconv.Atoi(m[2])
	return id, w, m[3], err1 == nil && err2 == nil
}

// File returns the path of a variant, if the image and variant exist.
func (s *Store) File(ctx context.Context, id int64, width int, ext string) (string, Image, error) {
	im, err := s.Get(ctx, id)
	if err != nil {
		return "", im, err
	}
	if ext != im.Ext {
		return "", im, errs.ErrNotFound
	}
	for _, w := range im.Widths {
		if w == width {
			return filepath.Join(s.dir, strconv.FormatInt(id, 10), strconv.Itoa(w)+"."+ext), im, nil
		}
	}
	return "", im, errs.ErrNotFound
}

// Lookup gives the size and variants of an image by its address (the
// renderer's hook: images get width, height and srcset).
func (s *Store) Lookup(ctx context.Context, src string) (w, h int, srcset string, ok bool) {
	id, width, ext, ok := ParseSrc(src)
	if !ok {
		return 0, 0, "", false
	}
	im, err := s.Get(ctx, id)
	if err != nil || im.Ext != ext {
		return 0, 0, "", false
	}
	return width, im.HeightAt(width), im.Srcset(), true
}

const imageCols = "id, created_at, COALESCE(uploaded_by, 0), name, ext, width, height, widths, bytes"

func scanImage(row interface{ Scan(...any) error }) (Image, error) {
	var im Image
	var widths string
	err := row.Scan(&im.ID, &im.CreatedAt, &im.UploadedBy, &im.Name, &im.Ext, &im.Width, &im.Height, &widths, &im.Bytes)
	if errors.Is(err, sql.ErrNoRows) {
		return im, errs.ErrNotFound
	}
	if err != nil {
		return im, err
	}
	for _, p := range strings.Split(widths, ",") {
		if w, err := strconv.Atoi(p); err == nil {
			im.Widths = append(im.Widths, w)
		}
	}
	if len(im.Widths) == 0 {
		im.Widths = []int{im.Width}
	}
	return im, nil
}

// Get returns one image (cached: images never change once stored).
func (s *Store) Get(ctx context.Context, id int64) (Image, error) {
	s.mu.Lock()
	im, ok := s.cache[id]
	s.mu.Unlock()
	if ok {
		return im, nil
	}
	im, err := scanImage(s.db.R.QueryRowContext(ctx, "SELECT "+imageCols+" FROM media WHERE id = $1", id))
	if err != nil {
		if errors.Is(err, errs.ErrNotFound) {
			return im, err
		}
		return im, fmt.Errorf("image %d: %w", id, err)
	}
	s.mu.Lock()
	if len(s.cache) > 5000 {
		clear(s.cache)
	}
	s.cache[id] = im
	s.mu.Unlock()
	return im, nil
}

// List returns images newest first, and how many there are.
func (s *Store) List(ctx context.Context, limit, offset int) ([]Image, int, error) {
	var total int
	if err := s.db.R.QueryRowContext(ctx, "SELECT COUNT(*) FROM media").Scan(&total); err != nil {
		return nil, 0, fmt.Errorf("count images: %w", err)
	}
	rows, err := s.db.R.QueryContext(ctx, "SELECT "+imageCols+" FROM media ORDER BY id DESC LIMIT $1 OFFSET $2", limit, offset)
	if err != nil {
		return nil, 0, fmt.Errorf("list images: %w", err)
	}
	defer rows.Close()
	var out []Image
	for rows.Next() {
		im, err := scanImage(rows)
		if err != nil {
			return nil, 0, fmt.Errorf("list images: %w", err)
		}
		out = append(out, im)
	}
	return out, total, rows.Err()
}

// Delete removes an image's record and files. Articles that show it keep a
// broken reference in their text; covers are unset by the database.
func (s *Store) Delete(ctx context.Context, id int64) error {
	res, err := s.db.W.ExecContext(ctx, "DELETE FROM media WHERE id = $1", id)
	if err != nil {
		return fmt.Errorf("delete image %d: %w", id, db.Classify(err))
	}
	if n, err := res.RowsAffected(); err == nil && n == 0 {
		return errs.ErrNotFound
	}
	s.mu.Lock()
	delete(s.cache, id)
	s.mu.Unlock()
	if err := os.RemoveAll(filepath.Join(s.dir, strconv.FormatInt(id, 10))); err != nil {
		return fmt.Errorf("remove files of image %d: %w", id, err)
	}
	return nil
}

// ErrNotImage and the other upload errors are errs.InvalidError values with
// a message for the editor.
var (
	errNotImage = errs.Invalid("image", "That file is not an image we can use. Upload a JPEG, PNG, GIF or WebP image.")
	errTooBig   = errs.Invalid("image", fmt.Sprintf("That image is too large in pixels (the limit is %d megapixels, at most %d pixels a side). Make it smaller and upload it again.", MaxPixels/1_000_000, MaxDimension))
	errBroken   = errs.Invalid("image", "That image file is damaged or incomplete and cannot be read.")
)

// Upload checks, converts and stores an image read from r (at most
// maxBytes), named name for the library.
func (s *Store) Upload(ctx context.Context, r io.Reader, name string, maxBytes int64, uploadedBy int64) (Image, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxBytes+1))
	if err != nil {
		return Image{}, errs.Invalid("image", "The upload did not arrive complete. Please try again.")
	}
	if int64(len(data)) > maxBytes {
		return Image{}, errs.Invalid("image", fmt.Sprintf("That file is larger than %d MB.", maxBytes>>20))
	}
	if len(data) == 0 {
		return Image{}, errs.Invalid("image", "Choose an image file to upload.")
	}
	// Look at the header before decoding: the pixel count, not the file
	// size, is what decoding costs.
	cfg, format, err := image.DecodeConfig(bytes.NewReader(data))
	if err != nil {
		return Image{}, errNotImage
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > MaxDimension || cfg.Height > MaxDimension || cfg.Width*cfg.Height > MaxPixels {
		return Image{}, errTooBig
	}
	select {
	case s.sem <- struct{}{}:
		defer func() { <-s.sem }()
	case <-ctx.Done():
		return Image{}, ctx.Err()
	}
	src, _, err := image.Decode(bytes.NewReader(data))
	if err != nil {
		return Image{}, errBroken
	}
	orient := 1
	if format == "jpeg" {
		orient = exifOrientation(data)
	}
	ext := "jpg"
	if format == "png" || format == "gif" {
		ext = "png"
	}
	variants := scaleAll(src, orient)
	name = cleanName(name)

	encoded := make([][]byte, len(variants))
	var total int64
	for i, v := range variants {
		var buf bytes.Buffer
		if ext == "png" {
			enc := png.Encoder{CompressionLevel: png.BestCompression}
			err = enc.Encode(&buf, v)
		} else {
			err = jpeg.Encode(&buf, flatten(v), &jpeg.Options{Quality: 82})
		}
		if err != nil {
			return Image{}, fmt.Errorf("encode image: %w", err)
		}
		encoded[i] = buf.Bytes()
		total += int64(buf.Len())
	}
	largest := variants[len(variants)-1].Bounds()
	widths := make([]string, len(variants))
	for i, v := range variants {
		widths[i] = strconv.Itoa(v.Bounds().Dx())
	}
	var im Image
	err = s.db.Tx(ctx, func(tx *sql.Tx) error {
		var id int64
		if err := tx.QueryRowContext(ctx, `INSERT INTO media (created_at, uploaded_by, name, ext, width, height, widths, bytes)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`, s.now(), nullID(uploadedBy), name, ext,
			largest.Dx(), largest.Dy(), strings.Join(widths, ","), total).Scan(&id); err != nil {
			return fmt.Errorf("record image: %w", err)
		}
		// Files go to a temporary directory renamed into place, so that an
		// image either exists whole or not at all.
		final := filepath.Join(s.dir, strconv.FormatInt(id, 10))
		if err := os.MkdirAll(s.dir, 0o750); err != nil {
			return fmt.Errorf("create media directory: %w", err)
		}
		tmp, err := os.MkdirTemp(s.dir, "upload-")
		if err != nil {
			return fmt.Errorf("create upload directory: %w", err)
		}
		for i, v := range variants {
			p := filepath.Join(tmp, strconv.Itoa(v.Bounds().Dx())+"."+ext)
			if err := os.WriteFile(p, encoded[i], 0o640); err != nil {
				os.RemoveAll(tmp)
				return fmt.Errorf("write image: %w", err)
			}
		}
		_ = os.RemoveAll(final) //nolint:errcheck // leftovers of an id reused after a crash
		if err := os.Rename(tmp, final); err != nil {
			os.RemoveAll(tmp)
			return fmt.Errorf("store image: %w", err)
		}
		im = Image{ID: id, CreatedAt: s.now(), UploadedBy: uploadedBy, Name: name, Ext: ext, Width: largest.Dx(), Height: largest.Dy(), Bytes: total}
		for _, w := range widths {
			n, _ := strconv.Atoi(w) //nolint:errcheck // made by Itoa above
			im.Widths = append(im.Widths, n)
		}
		return nil
	})
	if err != nil {
		if im.ID != 0 {
			os.RemoveAll(filepath.Join(s.dir, strconv.FormatInt(im.ID, 10)))
		}
		return Image{}, err
	}
	return im, nil
}

func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

func cleanName(name string) string {
	name = filepath.Base(strings.ReplaceAll(name, "\\", "/"))
	name = strings.Map(func(r rune) rune {
		if r < 32 || r == 127 {
			return -1
		}
		return r
	}, strings.ToValidUTF8(name, ""))
	if utf8.RuneCountInString(name) > 120 {
		name = string([]rune(name)[:120])
	}
	if name == "." || name == "/" {
		name = ""
	}
	return name
}

// scaleAll returns the upright image at every variant width, ascending.
func scaleAll(src image.Image, orient int) []image.Image {
	b := src.Bounds()
	sw, sh := b.Dx(), b.Dy()
	if orient >= 5 && orient <= 8 {
		sw, sh = sh, sw // upright width is the stored height
	}
	var targets []int
	for _, w := range Widths {
		if w < sw {
			targets = append(targets, w)
		}
	}
	if sw <= Widths[len(Widths)-1] {
		targets = append(targets, sw)
	}
	// Scale the largest first, straight from the source, then each smaller
	// one from the one above: fewer pixels to read each time.
	out := make([]image.Image, len(targets))
	cur := src
	for i := len(targets) - 1; i >= 0; i-- {
		w := targets[i]
		h := max(1, (sh*w+sw/2)/sw)
		if i == len(targets)-1 {
			cw, ch := w, h
			if orient >= 5 && orient <= 8 {
				cw, ch = h, w
			}
			var scaled image.Image = cur
			if cw != b.Dx() || ch != b.Dy() {
				dst := image.NewRGBA(image.Rect(0, 0, cw, ch))
				xdraw.CatmullRom.Scale(dst, dst.Bounds(), cur, b, draw.Src, nil)
				scaled = dst
			}
			cur = orientImage(scaled, orient)
		} else {
			dst := image.NewRGBA(image.Rect(0, 0, w, h))
			xdraw.CatmullRom.Scale(dst, dst.Bounds(), cur, cur.Bounds(), draw.Src, nil)
			cur = dst
		}
		out[i] = cur
	}
	return out
}

// flatten puts an image with transparency on white (JPEG has no alpha).
func flatten(im image.Image) image.Image {
	if o, ok := im.(interface{ Opaque() bool }); ok && o.Opaque() {
		return im
	}
	dst := image.NewRGBA(im.Bounds())
	draw.Draw(dst, dst.Bounds(), image.NewUniform(color.White), image.Point{}, draw.Src)
	draw.Draw(dst, dst.Bounds(), im, im.Bounds().Min, draw.Over)
	return dst
}

// orientImage applies an EXIF orientation (1–8) so the image is upright.
func orientImage(im image.Image, o int) image.Image {
	if o <= 1 || o > 8 {
		return im
	}
	b := im.Bounds()
	w, h := b.Dx(), b.Dy()
	dw, dh := w, h
	if o >= 5 {
		dw, dh = h, w
	}
	dst := image.NewRGBA(image.Rect(0, 0, dw, dh))
	for y := 0; y < h; y++ {
		for x := 0; x < w; x++ {
			var dx, dy int
			switch o {
			case 2:
				dx, dy = w-1-x, y
			case 3:
				dx, dy = w-1-x, h-1-y
			case 4:
				dx, dy = x, h-1-y
			case 5:
				dx, dy = y, x
			case 6:
				dx, dy = h-1-y, x
			case 7:
				dx, dy = h-1-y, w-1-x
			case 8:
				dx, dy = y, w-1-x
			}
			dst.Set(dx, dy, im.At(b.Min.X+x, b.Min.Y+y))
		}
	}
	return dst
}

// exifOrientation reads the orientation tag from a JPEG's EXIF block, or 1.
func exifOrientation(b []byte) int {
	if len(b) < 4 || b[0] != 0xFF || b[1] != 0xD8 {
		return 1
	}
	i := 2
	for i+4 <= len(b) {
		if b[i] != 0xFF {
			return 1
		}
		marker := b[i+1]
		if marker == 0xDA || marker == 0xD9 { // start of scan: no EXIF before it
			return 1
		}
		size := int(b[i+2])<<8 | int(b[i+3])
		if size < 2 || i+2+size > len(b) {
			return 1
		}
		seg := b[i+4 : i+2+size]
		if marker == 0xE1 && len(seg) > 14 && string(seg[:6]) == "Exif\x00\x00" {
			return tiffOrientation(seg[6:])
		}
		i += 2 + size
	}
	return 1
}

func tiffOrientation(t []byte) int {
	if len(t) < 8 {
		return 1
	}
	var u16 func([]byte) int
	var u32 func([]byte) int
	switch string(t[:2]) {
	case "II":
		u16 = func(p []byte) int { return int(p[0]) | int(p[1])<<8 }
		u32 = func(p []byte) int { return int(p[0]) | int(p[1])<<8 | int(p[2])<<16 | int(p[3])<<24 }
	case "MM":
		u16 = func(p []byte) int { return int(p[1]) | int(p[0])<<8 }
		u32 = func(p []byte) int { return int(p[3]) | int(p[2])<<8 | int(p[1])<<16 | int(p[0])<<24 }
	default:
		return 1
	}
	off := u32(t[4:8])
	if off < 8 || off+2 > len(t) {
		return 1
	}
	n := u16(t[off:])
	for k := 0; k < n; k++ {
		e := off + 2 + 12*k
		if e+12 > len(t) {
			return 1
		}
		if u16(t[e:]) == 0x0112 {
			if v := u16(t[e+8:]); v >= 1 && v <= 8 {
				return v
			}
			return 1
		}
	}
	return 1
}
