package members

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"image/png"
	"time"

	"coalition/internal/errs"

	xdraw "golang.org/x/image/draw"
)

// Logo limits. A logo is shown at most a few hundred pixels wide, so it is
// scaled down to LogoMaxSide and re-encoded: what is served is always an
// image this package wrote, never the uploaded bytes.
const (
	LogoMaxBytes  = 5 << 20
	LogoMaxSide   = 512
	logoMaxPixels = 25_000_000
	logoMaxInput  = 8000
)

// Logo is a stored logo.
type Logo struct {
	ContentType string
	Data        []byte
	Width       int
	Height      int
	UpdatedAt   time.Time
}

var (
	pngMagic  = []byte("\x89PNG\r\n\x1a\n")
	jpegMagic = []byte{0xff, 0xd8, 0xff}
)

// processLogo checks an upload (PNG or JPEG by its bytes, not by its name or
// declared type; dimensions read before decoding so that a small file that
// would expand to gigabytes is refused) and returns it re-encoded.
func processLogo(data []byte) (Logo, error) {
	if len(data) == 0 {
		return Logo{}, errs.Invalid("logo", "The file is empty.")
	}
	if len(data) > LogoMaxBytes {
		return Logo{}, errs.Invalid("logo", "The logo is too large: the limit is 5 MB.")
	}
	var isPNG bool
	switch {
	case bytes.HasPrefix(data, pngMagic):
		isPNG = true
	case bytes.HasPrefix(data, jpegMagic):
	default:
		return Logo{}, errs.Invalid("logo", "Upload the logo as a PNG or JPEG image (SVG and other formats are not accepted).")
	}
	var cfg image.Config
	var err error
	if isPNG {
		cfg, err = png.DecodeConfig(bytes.NewReader(data))
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(data))
	}
	if err != nil {
		return Logo{}, errs.Invalid("logo", "The image could not be read; it may be damaged. Try saving it again as PNG or JPEG.")
	}
	if cfg.Width <= 0 || cfg.Height <= 0 || cfg.Width > logoMaxInput || cfg.Height > logoMaxInput || cfg.Width*cfg.Height > logoMaxPixels {
		return Logo{}, errs.Invalid("logo", "The image is too large: use at most 8000 × 8000 pixels.")
	}
	var img image.Image
	if isPNG {
		img, err = png.Decode(bytes.NewReader(data))
	} else {
		img, err = jpeg.Decode(bytes.NewReader(data))
	}
	if err != nil {
		return Logo{}, errs.Invalid("logo", "The image could not be read; it may be damaged. Try saving it again as PNG or JPEG.")
	}
	b := img.Bounds()
	w, h := b.Dx(), b.Dy()
	if w > LogoMaxSide || h > LogoMaxSide {
		if w >= h {
			h = max(1, h*LogoMaxSide/w)
			w = LogoMaxSide
		} else {
			w = max(1, w*LogoMaxSide/h)
			h = LogoMaxSide
		}
	}
	dst := image.NewRGBA(image.Rect(0, 0, w, h))
	xdraw.CatmullRom.Scale(dst, dst.Bounds(), img, b, xdraw.Src, nil)
	var out bytes.Buffer
	l := Logo{Width: w, Height: h}
	if isPNG {
		enc := png.Encoder{CompressionLevel: png.BestCompression}
		if err := enc.Encode(&out, dst); err != nil {
			return Logo{}, fmt.Errorf("encode logo: %w", err)
		}
		l.ContentType = "image/png"
	} else {
		if err := jpeg.Encode(&out, dst, &jpeg.Options{Quality: 85}); err != nil {
			return Logo{}, fmt.Errorf("encode logo: %w", err)
		}
		l.ContentType = "image/jpeg"
	}
	l.Data = out.Bytes()
	return l, nil
}

// SetLogo checks, re-encodes and stores an organisation's logo.
func (s *Service) SetLogo(ctx context.Context, orgID int64, data []byte) error {
	l, err := processLogo(data)
	if err != nil {
		return err
	}
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM organisations WHERE id = $1", orgID).Scan(&n); err != nil {
			return fmt.Errorf("set logo: %w", err)
		}
		if n == 0 {
			return errs.ErrNotFound
		}
		_, err := tx.ExecContext(ctx, `INSERT INTO organisation_logos (organisation_id, content_type, data, width, height, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT (organisation_id) DO UPDATE SET content_type = excluded.content_type,
			data = excluded.data, width = excluded.width, height = excluded.height, updated_at = excluded.updated_at`,
			orgID, l.ContentType, l.Data, l.Width, l.Height, s.now())
		if err != nil {
			return fmt.Errorf("set logo: %w", err)
		}
		return nil
	})
}

// DeleteLogo removes an organisation's logo.
func (s *Service) DeleteLogo(ctx context.Context, orgID int64) error {
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "DELETE FROM organisation_logos WHERE organisation_id = $1", orgID)
		return err
	})
}

// Logo returns an organisation's logo.
func (s *Service) Logo(ctx context.Context, orgID int64) (Logo, error) {
	var l Logo
	err := s.db.R.QueryRowContext(ctx, "SELECT content_type, data, width, height, updated_at FROM organisation_logos WHERE organisation_id = $1", orgID).
		Scan(&l.ContentType, &l.Data, &l.Width, &l.Height, &l.UpdatedAt)
	if errors.Is(err, sql.ErrNoRows) {
		return Logo{}, errs.ErrNotFound
	}
	if err != nil {
		return Logo{}, fmt.Errorf("logo of %d: %w", orgID, err)
	}
	return l, nil
}
