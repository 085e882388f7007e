package web

import (
	"crypto/hmac"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"net/http"
	"regexp"
	"strings"
	"unicode/utf8"

	"coalition/internal/accounts"
	"coalition/internal/content"
	"coalition/internal/mail"
)

// The e-mail-an-article tool. Such tools were abused as spam relays on old
// sites, so this one sends only what the site wrote (title, summary, link to
// one of its own published public articles) under a fixed subject; the only
// free text is a short plain-text note without web addresses, and sending is
// limited per address, per browser and per recipient per day (the last in
// the database, so it holds across instances).

// Limits of the e-mail tool.
const (
	shareNoteMax      = 300
	shareNameMax      = 60
	sharePerRecipient = 3   // messages per recipient per day
	sharePerDay       = 500 // messages per day for the whole site
)

type shareForm struct {
	To, Name, Note string
}

type articleEmailPage struct {
	Base
	A          content.Article
	Form       shareForm
	Error      string
	ErrorField string
	Sent       string
	NoteMax    int
}

func (s *Server) shareArticle(w http.ResponseWriter, r *http.Request) (content.Article, bool) {
	a, ok := s.loadArticle(w, r, content.KindArticle, r.PathValue("slug"), "/email")
	if !ok {
		return a, false
	}
	if !a.Live() || a.MembersOnly() {
		s.errorPage(w, r, http.StatusForbidden, s.t(r, "Only articles that everyone can read can be sent by e-mail. Share the link with members instead."))
		return a, false
	}
	return a, true
}

func (s *Server) articleEmailForm(w http.ResponseWriter, r *http.Request) {
	a, ok := s.shareArticle(w, r)
	if !ok {
		return
	}
	p := &articleEmailPage{Base: s.base(w, r, s.t(r, "E-mail this article")), A: a, NoteMax: shareNoteMax}
	p.NoIndex, p.Section = true, "news"
	s.render(w, r, http.StatusOK, "pages/article_email", p)
}

var linkish = regexp.MustCompile(`(?i)(https?:|ftp:|www\.|[a-z0-9-]+\.(com|net|org|info|biz|ru|cn|xyz|top|io|co|me|ly|link|click|site|online)\b|<|>|@)`)

func (s *Server) articleEmail(w http.ResponseWriter, r *http.Request) {
	a, ok := s.shareArticle(w, r)
	if !ok {
		return
	}
	f := shareForm{
		To:   strings.TrimSpace(r.PostFormValue("to")),
		Name: strings.Join(strings.Fields(r.PostFormValue("name")), " "),
		Note: strings.TrimSpace(strings.ReplaceAll(r.PostFormValue("note"), "\r\n", "\n")),
	}
	p := &articleEmailPage{Base: s.base(w, r, s.t(r, "E-mail this article")), A: a, Form: f, NoteMax: shareNoteMax}
	p.NoIndex, p.Section = true, "news"
	refuse := func(status int, field, msg string) {
		p.Error, p.ErrorField = msg, field
		s.render(w, r, status, "pages/article_email", p)
	}
	// The honeypot: a field people never see or fill.
	if r.PostFormValue("website") != "" {
		refuse(http.StatusBadRequest, "", s.t(r, "The message was not sent: the form was filled in automatically. If you are a person, reload the page and try again."))
		return
	}
	to, err := accounts.NormalizeEmail(f.To)
	switch {
	case err != nil:
		refuse(http.StatusBadRequest, "to", s.t(r, "Enter your friend's e-mail address, like name@example.org."))
		return
	case f.Name == "":
		refuse(http.StatusBadRequest, "name", s.t(r, "Enter your name, so your friend knows who sent this."))
		return
	case utf8.RuneCountInString(f.Name) > shareNameMax:
		refuse(http.StatusBadRequest, "name", s.t(r, "Use at most %d characters for your name.", shareNameMax))
		return
	case linkish.MatchString(f.Name):
		refuse(http.StatusBadRequest, "name", s.t(r, "Enter just your name, without web or e-mail addresses."))
		return
	case utf8.RuneCountInString(f.Note) > shareNoteMax:
		refuse(http.StatusBadRequest, "note", s.t(r, "Keep the note to %d characters (it has %d).", shareNoteMax, utf8.RuneCountInString(f.Note)))
		return
	case linkish.MatchString(f.Note):
		refuse(http.StatusBadRequest, "note", s.t(r, "The note cannot contain web addresses, e-mail addresses or HTML. The message already links to the article."))
		return
	case !utf8.ValidString(f.Note+f.Name) || strings.ContainsFunc(f.Note+f.Name, func(c rune) bool { return c < 32 && c != '\n' || c == 0x7f }):
		refuse(http.StatusBadRequest, "note", s.t(r, "The note contains characters that are not allowed."))
		return
	}
	if !s.limits.allow("share-ip", s.clientIP(r)) {
		refuse(http.StatusTooManyRequests, "", s.t(r, "You have sent several articles in a short time. Please wait a few minutes before sending another."))
		return
	}
	if c, err := r.Cookie(csrfCookie); err == nil && !s.limits.allow("share-session", c.Value) {
		refuse(http.StatusTooManyRequests, "", s.t(r, "You have sent several articles in a short time. Please wait a few minutes before sending another."))
		return
	}
	site, err := s.Settings.Get(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l := s.locale(r)
	link := s.absURL(a.Path())
	var body strings.Builder
	body.WriteString(l.T("%s thought you would like to read this article from %s:", f.Name, site.OrgName) + "\n\n")
	body.WriteString(a.Title + "\n")
	if a.Summary != "" {
		body.WriteString("\n" + a.Summary + "\n")
	}
	body.WriteString("\n" + l.T("Read it here:") + "\n" + link + "\n")
	if f.Note != "" {
		body.WriteString("\n" + l.T("Their note:") + "\n" + f.Note + "\n")
	}
	body.WriteString("\n-- \n" + l.T("%s entered your address on %s to send you this link. Your address has not been added to any list, and we will not write to you because of it.", f.Name, s.Config.BaseURL) + "\n")
	msg := mail.Message{To: to, Subject: l.T("An article from %s: %s", site.OrgName, a.Title), Text: body.String(),
		Headers: map[string]string{"Auto-Submitted": "auto-generated"}}

	key := s.shareKey(to)
	var capped, siteCapped bool
	err = s.DB.Tx(r.Context(), func(tx *sql.Tx) error {
		ok, err := s.Content.CountShare(r.Context(), tx, "*", sharePerDay)
		if err != nil {
			return err
		}
		if !ok {
			siteCapped = true
			return nil
		}
		if ok, err = s.Content.CountShare(r.Context(), tx, key, sharePerRecipient); err != nil {
			return err
		}
		if !ok {
			capped = true
			return errRollback // undo the site-wide count
		}
		return s.Outbox.EnqueueTx(r.Context(), tx, "article-email", msg)
	})
	switch {
	case siteCapped:
		refuse(http.StatusTooManyRequests, "", s.t(r, "The e-mail tool has reached its limit for today. Please copy the link and send it yourself."))
		return
	case capped:
		refuse(http.StatusTooManyRequests, "to", s.t(r, "This address has already received %d articles from this site today. Please try again tomorrow, or send the link yourself.", sharePerRecipient))
		return
	case err != nil:
		s.fail(w, r, err)
		return
	}
	s.Log.Info("article e-mailed", "article", a.ID, "ip", s.clientIP(r))
	s.flash(w, r, s.t(r, "Sent. Your friend will receive the article by e-mail in a moment."))
	http.Redirect(w, r, a.Path(), http.StatusSeeOther)
}

// errRollback undoes a transaction without being an error for the user.
var errRollback = errRollbackT{}

type errRollbackT struct{}

// Error implements error.
func (errRollbackT) Error() string { return "rollback" }

// shareKey is the recipient's identity in the daily-cap table: a keyed
// hash, so the table holds no addresses.
func (s *Server) shareKey(addr string) string {
	m := hmac.New(sha256.New, s.linkKey)
	m.Write([]byte("share:" + addr))
	return hex.EncodeToString(m.Sum(nil))[:32]
}
