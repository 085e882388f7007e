package demo

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"math"
	"strings"
	"time"

	"coalition/internal/accounts"
	"coalition/internal/app"
	"coalition/internal/content"
	"coalition/internal/errs"
	"coalition/internal/places"
	"coalition/internal/slug"
)

// The demo's categories, in menu order.
var demoCategories = []content.Category{
	{Name: "News", Slug: "news", Description: "What the coalition and its members are doing.", Position: 1},
	{Name: "Newsletters", Slug: "newsletters", Description: "The monthly letter to members and supporters.", Position: 2, TOC: true},
	{Name: "Statements", Slug: "statements", Description: "Positions adopted by the coalition's members.", Position: 3},
	{Name: "Appeals", Slug: "appeals", Description: "Calls to act, to give and to speak up.", Position: 4},
	{Name: "Blog", Slug: "blog", Description: "Reflections from the secretariat and guest writers.", Position: 5},
}

var (
	demoThemes = []string{"Responsibility to Protect", "Women, Peace and Security", "Protection of Civilians", "Accountability", "Early Warning"}
	// Crisis tags of the demo articles, by name, with the slug of the crisis
	// page they belong to (crises.go), so that articles appear there.
	demoCrisisTags = map[string]string{"Sudan": "sudan", "War in Ukraine": "ukraine", "Central Sahel": "sahel"}
)

type demoArticle struct {
	kind       content.Kind
	category   string // slug
	slug       string
	title      string
	summary    string
	body       string
	author     string
	daysAgo    int // negative: scheduled in the future
	status     content.Status
	visibility content.Visibility
	countries  []string
	themes     []string
	crises     []string
	hue        float64 // cover colour; <0 for no cover
	coverAlt   string
}

// loadArticles creates the demo's categories, tags, articles and pages,
// skipping whatever exists already.
func loadArticles(ctx context.Context, a *app.App) error {
	cats := map[string]int64{}
	for _, c := range demoCategories {
		got, err := a.Content.CategoryBySlug(ctx, c.Slug)
		if errors.Is(err, errs.ErrNotFound) {
			got, err = a.Content.SaveCategory(ctx, c)
		}
		if err != nil {
			return fmt.Errorf("category %s: %w", c.Name, err)
		}
		cats[c.Slug] = got.ID
	}
	tagIDs := map[string]int64{}
	tagSlugs := map[string]string{}
	for _, n := range demoThemes {
		tagSlugs[string(places.KindTheme)+":"+n] = slug.Make(n, 80)
	}
	for n, sl := range demoCrisisTags {
		tagSlugs[string(places.KindCrisis)+":"+n] = sl
	}
	for key, sl := range tagSlugs {
		kind, n, _ := strings.Cut(key, ":")
		t, err := a.Places.Get(ctx, places.Kind(kind), sl)
		if errors.Is(err, errs.ErrNotFound) {
			t, err = a.Places.Create(ctx, places.Kind(kind), n, sl)
		}
		if err != nil {
			return fmt.Errorf("tag %s: %w", n, err)
		}
		tagIDs[key] = t.ID
	}
	author := content.Editor{Name: "Tomás Ferreira"}
	if u, err := a.Accounts.ByEmail(ctx, EditorEmail); err == nil {
		author = content.Editor{ID: u.ID, Name: u.DisplayName()}
	}
	var coordinator accounts.User
	if u, err := a.Accounts.ByEmail(ctx, AdminEmail); err == nil {
		coordinator = u
	}
	now := a.Now().UTC().Truncate(time.Hour)
	for _, d := range demoArticles() {
		if _, err := a.Content.BySlug(ctx, d.kind, d.slug); err == nil {
			continue
		} else if !errors.Is(err, errs.ErrNotFound) {
			return err
		}
		in := content.Input{Kind: d.kind, CategoryID: cats[d.category], Title: d.title, Slug: d.slug, Summary: d.summary, Body: d.body,
			AuthorName: d.author, Status: d.status, Visibility: d.visibility, Editor: author}
		if d.author == "Amara Diallo" && coordinator.ID != 0 {
			in.Editor = content.Editor{ID: coordinator.ID, Name: coordinator.DisplayName()}
		}
		if d.kind == content.KindArticle {
			in.PublishAt = now.Add(-time.Duration(d.daysAgo) * 24 * time.Hour)
			if d.status == content.StatusDraft {
				in.PublishAt = time.Time{}
			}
		}
		if d.visibility == "" {
			in.Visibility = content.Public
		}
		ids, err := a.Places.ResolveCountries(ctx, d.countries)
		if err != nil {
			return fmt.Errorf("%s: %w", d.slug, err)
		}
		in.TagIDs = ids
		for _, th := range d.themes {
			in.TagIDs = append(in.TagIDs, tagIDs["theme:"+th])
		}
		for _, cr := range d.crises {
			in.TagIDs = append(in.TagIDs, tagIDs["crisis:"+cr])
		}
		if d.hue >= 0 {
			im, err := a.Media.Upload(ctx, bytes.NewReader(Picture(1600, 900, d.hue)), d.slug+".jpg", 20<<20, in.Editor.ID)
			if err != nil {
				return fmt.Errorf("cover of %s: %w", d.slug, err)
			}
			in.CoverID, in.CoverAlt = im.ID, d.coverAlt
		}
		if _, err := a.Content.Create(ctx, in, nil); err != nil {
			return fmt.Errorf("article %s: %w", d.slug, err)
		}
	}
	return nil
}

// Picture draws an abstract landscape (bands of hills under a sky) in the
// given hue, as a JPEG: demo covers and benchmark images, made here so that
// nothing is fetched from elsewhere.
func Picture(w, h int, hue float64) []byte {
	im := image.NewRGBA(image.Rect(0, 0, w, h))
	sky := hsl(hue, .45, .78)
	for y := 0; y < h; y++ {
		fy := float64(y) / float64(h)
		for x := 0; x < w; x++ {
			fx := float64(x) / float64(w)
			c := mix(sky, hsl(hue+20, .35, .92), fy)
			for band := 0; band < 4; band++ {
				b := float64(band)
				ridge := .45 + .12*b + .05*math.Sin(fx*(4+b*1.7)*math.Pi+b*1.3) + .02*math.Sin(fx*23+b)
				if fy > ridge {
					c = hsl(hue-10*b, .35+.08*b, .55-.1*b)
				}
			}
			im.SetRGBA(x, y, c)
		}
	}
	var buf bytes.Buffer
	if err := jpeg.Encode(&buf, im, &jpeg.Options{Quality: 85}); err != nil {
		panic(err) // encoding to memory cannot fail
	}
	return buf.Bytes()
}

func mix(a, b color.RGBA, t float64) color.RGBA {
	l := func(x, y uint8) uint8 { return uint8(float64(x)*(1-t) + float64(y)*t) }
	return color.RGBA{l(a.R, b.R), l(a.G, b.G), l(a.B, b.B), 255}
}

func hsl(h, s, l float64) color.RGBA {
	h = math.Mod(math.Mod(h, 360)+360, 360) / 360
	q := l + s - l*s
	if l < .5 {
		q = l * (1 + s)
	}
	p := 2*l - q
	f := func(t float64) uint8 {
		t = math.Mod(t+1, 1)
		var v float64
		switch {
		case t < 1.0/6:
			v = p + (q-p)*6*t
		case t < .5:
			v = q
		case t < 2.0/3:
			v = p + (q-p)*(2.0/3-t)*6
		default:
			v = p
		}
		return uint8(math.Round(v * 255))
	}
	return color.RGBA{f(h + 1.0/3), f(h), f(h - 1.0/3), 255}
}
