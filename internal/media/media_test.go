package media_test

import (
	"bytes"
	"context"
	"encoding/binary"
	"hash/crc32"
	"image"
	"image/color"
	"image/jpeg"
	"image/png"
	"os"
	"strconv"
	"testing"

	"coalition/internal/db"
	"coalition/internal/errs"
	"coalition/internal/media"
	"coalition/internal/testkit"
)

func photo(w, h int) []byte {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			im.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), 120, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, im, nil); err != nil {
		panic(err)
	}
	return b.Bytes()
}

// bomb is a valid PNG header claiming 60000×60000 pixels: a few dozen bytes
// that would need 14 GB to decode.
func bomb() []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], 60000)
	binary.BigEndian.PutUint32(ihdr[4:], 60000)
	ihdr[8], ihdr[9] = 8, 6 // 8-bit RGBA
	chunk := append([]byte("IHDR"), ihdr...)
	binary.Write(&b, binary.BigEndian, uint32(13))
	b.Write(chunk)
	binary.Write(&b, binary.BigEndian, crc32.ChecksumIEEE(chunk))
	return b.Bytes()
}

// withOrientation inserts an EXIF block with the orientation tag after SOI.
func withOrientation(j []byte, o uint16) []byte {
	tiff := []byte{'M', 'M', 0, 42, 0, 0, 0, 8, 0, 1, 0x01, 0x12, 0, 3, 0, 0, 0, 1, byte(o >> 8), byte(o), 0, 0, 0, 0, 0, 0}
	seg := append([]byte("Exif\x00\x00"), tiff...)
	app1 := []byte{0xFF, 0xE1, byte((len(seg) + 2) >> 8), byte(len(seg) + 2)}
	out := append([]byte{}, j[:2]...)
	out = append(out, app1...)
	out = append(out, seg...)
	return append(out, j[2:]...)
}

func TestUploads(t *testing.T) {
	testkit.ForEachDB(t, func(t *testing.T, d *db.DB) {
		ctx := context.Background()
		s := media.NewStore(d, t.TempDir(), nil)

		im, err := s.Upload(ctx, bytes.NewReader(photo(2000, 1000)), "../../etc/landscape.jpg", 10<<20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if im.Name != "landscape.jpg" || im.Ext != "jpg" || im.Width != 2000 || im.Height != 1000 {
			t.Fatalf("stored %+v", im)
		}
		if want := []int{480, 960, 1600, 2000}; len(im.Widths) != len(want) || im.Widths[1] != 960 || im.Widths[3] != 2000 {
			t.Fatalf("widths %v, want %v", im.Widths, want)
		}
		if im.Src() != "/media/"+itoa(im.ID)+"/960.jpg" || im.HeightAt(960) != 480 {
			t.Fatalf("src %s height %d", im.Src(), im.HeightAt(960))
		}
		path, _, err := s.File(ctx, im.ID, 480, "jpg")
		if err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(path)
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := jpeg.DecodeConfig(f)
		f.Close()
		if err != nil || cfg.Width != 480 || cfg.Height != 240 {
			t.Fatalf("480 variant is %dx%d (%v)", cfg.Width, cfg.Height, err)
		}
		if w, h, set, ok := s.Lookup(ctx, im.Src()); !ok || w != 960 || h != 480 || set == "" {
			t.Fatalf("lookup %d %d %q %v", w, h, set, ok)
		}

		// A phone photo stored sideways comes out upright.
		up, err := s.Upload(ctx, bytes.NewReader(withOrientation(photo(400, 300), 6)), "phone.jpg", 10<<20, 0)
		if err != nil {
			t.Fatal(err)
		}
		if up.Width != 300 || up.Height != 400 {
			t.Fatalf("orientation 6 gave %dx%d, want 300x400", up.Width, up.Height)
		}

		// Refusals, each with a message for the editor.
		for name, data := range map[string][]byte{
			"bomb.png":  bomb(),
			"text.jpg":  []byte("this is not an image at all"),
			"empty.png": {},
			"cut.jpg":   photo(300, 200)[:400],
		} {
			_, err := s.Upload(ctx, bytes.NewReader(data), name, 10<<20, 0)
			if ie, ok := errs.AsInvalid(err); !ok || ie.Msg == "" {
				t.Errorf("%s: %v", name, err)
			}
		}
		if _, err := s.Upload(ctx, bytes.NewReader(photo(100, 100)), "big.jpg", 100, 0); err == nil {
			t.Error("file over the byte limit accepted")
		}

		// PNG stays PNG (transparency, sharp graphics).
		var pb bytes.Buffer
		if err := png.Encode(&pb, image.NewNRGBA(image.Rect(0, 0, 300, 120))); err != nil {
			t.Fatal(err)
		}
		p, err := s.Upload(ctx, &pb, "logo.png", 10<<20, 0)
		if err != nil || p.Ext != "png" || len(p.Widths) != 1 || p.Widths[0] != 300 {
			t.Fatalf("png: %+v %v", p, err)
		}

		if err := s.Delete(ctx, im.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := os.Stat(path); !os.IsNotExist(err) {
			t.Fatalf("files left after delete: %v", err)
		}
	})
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
