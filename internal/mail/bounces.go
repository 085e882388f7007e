package mail

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"coalition/internal/errs"
)

// Bounces and complaints arrive at POST /webhooks/bounce in one of two
// shapes, told apart by their keys:
//
// The generic format, one object or an array of them:
//
//	{"email": "a@example.org", "type": "hard", "campaign_id": 12, "reason": "550 5.1.1 no such user",
//	 "at": "2026-11-29T10:00:00Z"}
//
// type is hard, soft or complaint; campaign_id, reason and at are optional.
//
// Amazon SES notifications, delivered by SNS (an envelope with "Type":
// "Notification" whose "Message" is the SES JSON) or raw (the SES JSON
// itself): notificationType (or eventType) "Bounce" with bounceType
// Permanent (hard) or Transient/Undetermined (soft) for each of
// bounce.bouncedRecipients, and "Complaint" for each of
// complaint.complainedRecipients. The campaign is read from our Message-ID
// in mail.commonHeaders. An SNS "SubscriptionConfirmation" returns its
// SubscribeURL (https on an amazonaws.com host only) for the caller to
// visit. SNS message signatures are not checked: the endpoint is opened by
// the bounce secret.
//
// A hard bounce or a complaint suppresses the address at once; soft bounces
// suppress it after 3 within 30 days. Reports about unknown addresses are
// kept but change nothing.

// Bounce kinds.
const (
	BounceHard      = "hard"
	BounceSoft      = "soft"
	BounceComplaint = "complaint"
)

// softLimit soft bounces within softWindow suppress an address.
const (
	softLimit  = 3
	softWindow = 30 * 24 * time.Hour
)

// Bounce is a bounce or complaint report.
type Bounce struct {
	At         time.Time
	Email      string
	Kind       string // hard, soft, complaint
	Source     string // generic, ses, smtp
	CampaignID int64
	Detail     string
}

const maxBounceBody = 4 << 20

func badBounce(msg string) error { return errs.Invalid("body", msg) }

// ParseBounces reads a bounce webhook body: the generic JSON format
// {"email","type":"hard|soft|complaint","campaign_id","reason"} (or a list
// of them), or an Amazon SNS notification carrying an SES bounce or
// complaint. A SubscriptionConfirmation returns its SubscribeURL instead.
func ParseBounces(body []byte) (bounces []Bounce, subscribeURL string, err error) {
	body = bytes.TrimSpace(body)
	switch {
	case len(body) == 0:
		return nil, "", badBounce("The body is empty; send a JSON object or array.")
	case len(body) > maxBounceBody:
		return nil, "", badBounce("The body is too large.")
	case body[0] == '[':
		var items []json.RawMessage
		if err := json.Unmarshal(body, &items); err != nil {
			return nil, "", badBounce("The body is not valid JSON: " + err.Error())
		}
		for i, it := range items {
			bs, _, err := parseOne(it)
			if err != nil {
				return nil, "", badBounce(fmt.Sprintf("Item %d: %s", i+1, invalidMsg(err)))
			}
			bounces = append(bounces, bs...)
		}
		return bounces, "", nil
	}
	return parseOne(body)
}

func invalidMsg(err error) string {
	if ie, ok := errs.AsInvalid(err); ok {
		return ie.Msg
	}
	return err.Error()
}

func parseOne(raw []byte) ([]Bounce, string, error) {
	var obj map[string]json.RawMessage
	if err := json.Unmarshal(raw, &obj); err != nil || obj == nil {
		if err == nil {
			err = fmt.Errorf("null")
		}
		return nil, "", badBounce("The body is not a JSON object: " + err.Error())
	}
	str := func(k string) string {
		var s string
		if v, ok := obj[k]; ok {
			_ = json.Unmarshal(v, &s) //nolint:errcheck // not a string: empty
		}
		return s
	}
	if _, ok := obj["Type"]; ok {
		return parseSNS(str("Type"), str("Message"), str("SubscribeURL"))
	}
	if _, ok := obj["notificationType"]; ok {
		bs, err := parseSES(raw)
		return bs, "", err
	}
	if _, ok := obj["eventType"]; ok {
		bs, err := parseSES(raw)
		return bs, "", err
	}
	var g struct {
		Email      string          `json:"email"`
		Type       string          `json:"type"`
		CampaignID json.RawMessage `json:"campaign_id"`
		Reason     string          `json:"reason"`
		At         string          `json:"at"`
	}
	if err := json.Unmarshal(raw, &g); err != nil {
		return nil, "", badBounce("The report is not in the expected format: " + err.Error())
	}
	b := Bounce{Email: strings.ToLower(strings.TrimSpace(g.Email)), Kind: strings.ToLower(strings.TrimSpace(g.Type)), Source: "generic", Detail: g.Reason}
	if !plausibleAddress(b.Email) {
		return nil, "", badBounce(`"email" must be an e-mail address.`)
	}
	switch b.Kind {
	case BounceHard, BounceSoft, BounceComplaint:
	default:
		return nil, "", badBounce(`"type" must be "hard", "soft" or "complaint".`)
	}
	if len(g.CampaignID) > 0 && string(g.CampaignID) != "null" {
		s := strings.Trim(string(g.CampaignID), `"`)
		id, err := strconv.ParseInt(s, 10, 64)
		if err != nil || id < 0 {
			return nil, "", badBounce(`"campaign_id" must be a campaign's number.`)
		}
		b.CampaignID = id
	}
	if g.At != "" {
		at, err := time.Parse(time.RFC3339, g.At)
		if err != nil {
			return nil, "", badBounce(`"at" must be an RFC 3339 time.`)
		}
		b.At = at.UTC()
	}
	return []Bounce{b}, "", nil
}

func plausibleAddress(s string) bool {
	at := strings.LastIndexByte(s, '@')
	return at > 0 && at < len(s)-1 && len(s) <= 254 && !strings.ContainsAny(s, " \t\r\n<>,;\"")
}

// parseSNS reads an SNS envelope.
func parseSNS(typ, message, subscribeURL string) ([]Bounce, string, error) {
	switch typ {
	case "SubscriptionConfirmation":
		u, err := url.Parse(subscribeURL)
		if err != nil || u.Scheme != "https" || !(strings.HasSuffix(u.Hostname(), ".amazonaws.com") || strings.HasSuffix(u.Hostname(), ".amazonaws.com.cn")) {
			return nil, "", badBounce("SubscribeURL must be an https address at amazonaws.com.")
		}
		return nil, u.String(), nil
	case "UnsubscribeConfirmation":
		return nil, "", nil
	case "Notification":
		if message == "" {
			return nil, "", badBounce("The SNS notification has no Message.")
		}
		bs, err := parseSES([]byte(message))
		return bs, "", err
	}
	return nil, "", badBounce(fmt.Sprintf("Unknown SNS message type %q.", typ))
}

// ourMessageID finds a campaign's Message-ID (c<campaign>.s<subscriber>@…).
var ourMessageID = regexp.MustCompile(`^<?c(\d+)\.s(\d+)@`)

// parseSES reads an SES bounce or complaint notification; other
// notification types (deliveries) carry no bounce.
func parseSES(raw []byte) ([]Bounce, error) {
	type recipient struct {
		EmailAddress   string `json:"emailAddress"`
		Status         string `json:"status"`
		DiagnosticCode string `json:"diagnosticCode"`
	}
	var n struct {
		NotificationType string `json:"notificationType"`
		EventType        string `json:"eventType"`
		Bounce           struct {
			BounceType        string      `json:"bounceType"`
			BounceSubType     string      `json:"bounceSubType"`
			BouncedRecipients []recipient `json:"bouncedRecipients"`
			Timestamp         string      `json:"timestamp"`
		} `json:"bounce"`
		Complaint struct {
			ComplainedRecipients  []recipient `json:"complainedRecipients"`
			ComplaintFeedbackType string      `json:"complaintFeedbackType"`
			Timestamp             string      `json:"timestamp"`
		} `json:"complaint"`
		Mail struct {
			CommonHeaders struct {
				MessageID string `json:"messageId"`
			} `json:"commonHeaders"`
			Headers []struct {
				Name  string `json:"name"`
				Value string `json:"value"`
			} `json:"headers"`
		} `json:"mail"`
	}
	if err := json.Unmarshal(raw, &n); err != nil {
		return nil, badBounce("The SES notification is not valid JSON: " + err.Error())
	}
	var cid int64
	mid := n.Mail.CommonHeaders.MessageID
	for _, h := range n.Mail.Headers {
		if mid == "" && strings.EqualFold(h.Name, "Message-ID") {
			mid = h.Value
		}
	}
	if m := ourMessageID.FindStringSubmatch(strings.TrimSpace(mid)); m != nil {
		cid, _ = strconv.ParseInt(m[1], 10, 64) //nolint:errcheck // digits matched above
	}
	at := func(ts string) time.Time {
		t, err := time.Parse(time.RFC3339, ts)
		if err != nil {
			return time.Time{}
		}
		return t.UTC()
	}
	typ := n.NotificationType
	if typ == "" {
		typ = n.EventType
	}
	var out []Bounce
	switch typ {
	case "Bounce":
		kind := BounceSoft
		if n.Bounce.BounceType == "Permanent" {
			kind = BounceHard
		}
		for _, r := range n.Bounce.BouncedRecipients {
			e := strings.ToLower(strings.TrimSpace(r.EmailAddress))
			if !plausibleAddress(e) {
				continue
			}
			bt := n.Bounce.BounceType
			if n.Bounce.BounceSubType != "" {
				bt += "/" + n.Bounce.BounceSubType
			}
			detail := strings.Join(nonEmpty(bt, r.Status, r.DiagnosticCode), " ")
			out = append(out, Bounce{At: at(n.Bounce.Timestamp), Email: e, Kind: kind, Source: "ses", CampaignID: cid, Detail: detail})
		}
	case "Complaint":
		for _, r := range n.Complaint.ComplainedRecipients {
			e := strings.ToLower(strings.TrimSpace(r.EmailAddress))
			if !plausibleAddress(e) {
				continue
			}
			out = append(out, Bounce{At: at(n.Complaint.Timestamp), Email: e, Kind: BounceComplaint, Source: "ses", CampaignID: cid,
				Detail: n.Complaint.ComplaintFeedbackType})
		}
	case "":
		return nil, badBounce("The SES notification has no notificationType.")
	}
	return out, nil
}

func nonEmpty(ss ...string) []string {
	var out []string
	for _, s := range ss {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	return out
}

// RecordBounces stores reports; hard bounces and complaints suppress the
// address (soft bounces suppress after 3 within 30 days).
func (s *Service) RecordBounces(ctx context.Context, bs []Bounce) error {
	if len(bs) == 0 {
		return nil
	}
	now := s.now()
	return s.db.Tx(ctx, func(tx *sql.Tx) error {
		for _, b := range bs {
			b.Email = strings.ToLower(strings.TrimSpace(b.Email))
			if b.Email == "" {
				continue
			}
			switch b.Kind {
			case BounceHard, BounceSoft, BounceComplaint:
			default:
				return errs.Invalid("type", fmt.Sprintf("Unknown bounce type %q.", b.Kind))
			}
			if b.Source == "" {
				b.Source = "generic"
			}
			at := b.At.UTC()
			if at.IsZero() || at.After(now) {
				at = now
			}
			var cid any
			if b.CampaignID > 0 {
				cid = b.CampaignID
			}
			if _, err := tx.ExecContext(ctx, `INSERT INTO mail_bounces (created_at, email, kind, source, campaign_id, detail)
				VALUES ($1, $2, $3, $4, $5, $6)`, at, b.Email, b.Kind, b.Source, cid, clip(b.Detail)); err != nil {
				return fmt.Errorf("record bounce: %w", err)
			}
			reason := ""
			switch b.Kind {
			case BounceHard:
				reason = "hard bounce"
			case BounceComplaint:
				reason = "complaint"
			case BounceSoft:
				var n int
				if err := tx.QueryRowContext(ctx, "SELECT COUNT(*) FROM mail_bounces WHERE email = $1 AND kind = 'soft' AND created_at >= $2",
					b.Email, now.Add(-softWindow)).Scan(&n); err != nil {
					return fmt.Errorf("count soft bounces: %w", err)
				}
				if n >= softLimit {
					reason = fmt.Sprintf("%d soft bounces within 30 days", n)
				}
			}
			if reason == "" {
				continue
			}
			if b.Detail != "" {
				reason += ": " + b.Detail
			}
			if _, err := tx.ExecContext(ctx, `UPDATE subscribers SET suppressed_at = $1, suppress_reason = $2
				WHERE email = $3 AND suppressed_at IS NULL`, now, clip(reason), b.Email); err != nil {
				return fmt.Errorf("suppress address: %w", err)
			}
		}
		return nil
	})
}
