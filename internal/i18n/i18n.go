// Package i18n is the one path all interface text takes: T looks a message up
// in the locale's catalogue (falling back to English, which is also the
// message key), and dates and numbers are formatted per locale.
package i18n

import (
	"fmt"
	"strings"
	"time"

	"golang.org/x/text/language"
	"golang.org/x/text/message"
)

// Locale formats text, dates and numbers for one language.
type Locale struct {
	Tag     language.Tag
	Lang    string // "en", "fr", …
	Dir     string // "ltr" or "rtl"
	catalog map[string]string
	months  [12]string
	printer *message.Printer
	dateFmt func(l *Locale, t time.Time) string
}

// supported holds the languages the interface speaks: English now; the other
// UN languages join as their catalogues are written. French and Spanish date
// and number formats exist already (Lookup) so that content dated in those
// languages prints correctly.
var supported = map[string]*Locale{"en": newEnglish()}

// Lookup returns the formatting locale for lang even when its interface
// catalogue is not complete (for content, feeds and PDFs in that language).
func Lookup(lang string) *Locale {
	switch strings.ToLower(lang) {
	case "fr":
		return newFrench()
	case "es":
		return newSpanish()
	}
	return Get(lang)
}

// Languages lists the interface languages, English first.
func Languages() []string {
	out := []string{"en"}
	for l := range supported {
		if l != "en" {
			out = append(out, l)
		}
	}
	return out
}

// Default is the English locale.
func Default() *Locale { return supported["en"] }

// Get returns the locale for a language code, or English.
func Get(lang string) *Locale {
	if l, ok := supported[strings.ToLower(lang)]; ok {
		return l
	}
	return Default()
}

// Match picks the best supported locale for an Accept-Language header.
func Match(acceptLanguage string) *Locale {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil {
		return Default()
	}
	for _, t := range tags {
		base, _ := t.Base()
		if l, ok := supported[base.String()]; ok {
			return l
		}
	}
	return Default()
}

// T translates msg (an English string, also the key) and, with args, formats
// it with fmt verbs; numbers in args are formatted for the locale.
func (l *Locale) T(msg string, args ...any) string {
	if tr, ok := l.catalog[msg]; ok && tr != "" {
		msg = tr
	}
	if len(args) == 0 {
		return msg
	}
	return l.printer.Sprintf(msg, args...)
}

// Number formats an integer with the locale's grouping ("12,345").
func (l *Locale) Number(n int64) string { return l.printer.Sprintf("%d", n) }

// Date formats a date for reading ("29 November 2026").
func (l *Locale) Date(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return l.dateFmt(l, t)
}

// DateTime formats a date and a 24-hour time in UTC.
func (l *Locale) DateTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	t = t.UTC()
	return l.Date(t) + ", " + t.Format("15:04") + " UTC"
}

// Month returns the locale's name of month m (1–12).
func (l *Locale) Month(m time.Month) string { return l.months[m-1] }

func newEnglish() *Locale {
	return &Locale{
		Tag: language.English, Lang: "en", Dir: "ltr", catalog: map[string]string{},
		months:  [12]string{"January", "February", "March", "April", "May", "June", "July", "August", "September", "October", "November", "December"},
		printer: message.NewPrinter(language.English),
		dateFmt: func(l *Locale, t time.Time) string {
			return fmt.Sprintf("%d %s %d", t.Day(), l.Month(t.Month()), t.Year())
		},
	}
}

func newFrench() *Locale {
	return &Locale{
		Tag: language.French, Lang: "fr", Dir: "ltr", catalog: map[string]string{},
		months:  [12]string{"janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août", "septembre", "octobre", "novembre", "décembre"},
		printer: message.NewPrinter(language.French),
		dateFmt: func(l *Locale, t time.Time) string {
			d := fmt.Sprint(t.Day())
			if t.Day() == 1 {
				d = "1er"
			}
			return fmt.Sprintf("%s %s %d", d, l.Month(t.Month()), t.Year())
		},
	}
}

func newSpanish() *Locale {
	return &Locale{
		Tag: language.Spanish, Lang: "es", Dir: "ltr", catalog: map[string]string{},
		months:  [12]string{"enero", "febrero", "marzo", "abril", "mayo", "junio", "julio", "agosto", "septiembre", "octubre", "noviembre", "diciembre"},
		printer: message.NewPrinter(language.Spanish),
		dateFmt: func(l *Locale, t time.Time) string {
			return fmt.Sprintf("%d de %s de %d", t.Day(), l.Month(t.Month()), t.Year())
		},
	}
}
