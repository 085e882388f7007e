package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"coalition/internal/accounts"
	"coalition/internal/errs"
	"coalition/internal/mail"
)

// The JSON admin API of the mailing lists. Callers authenticate with a
// bearer token made by `coalition token create`; sessions and cookies play
// no part, so there is no CSRF check (the routes are Token in router.go).

// apiToken checks the Authorization header and answers 401 itself when it
// is missing or wrong.
func (s *Server) apiToken(w http.ResponseWriter, r *http.Request) (accounts.APIToken, bool) {
	h := r.Header.Get("Authorization")
	scheme, tok, ok := strings.Cut(h, " ")
	if ok && strings.EqualFold(scheme, "Bearer") {
		t, err := s.Accounts.APITokenRole(r.Context(), strings.TrimSpace(tok))
		if err == nil {
			return t, true
		}
		if !errors.Is(err, errs.ErrNotFound) {
			s.apiError(w, r, err)
			return t, false
		}
	}
	w.Header().Set("WWW-Authenticate", `Bearer realm="coalition"`)
	writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "a valid API token is required (Authorization: Bearer <token>)"})
	return accounts.APIToken{}, false
}

// readJSON decodes a small JSON body, answering 400 itself on failure.
func readJSON(w http.ResponseWriter, r *http.Request, v any) bool {
	// Any Content-Type is read as JSON (curl -d sends form encoding by default).
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeJSON(w, http.StatusBadRequest, map[string]string{"error": "the body is not the JSON expected: " + clipText(err.Error(), 200)})
		return false
	}
	return true
}

func clipText(s string, n int) string {
	if len(s) > n {
		return s[:n]
	}
	return s
}

type apiMailingList struct {
	ID          int64  `json:"id"`
	Name        string `json:"name"`
	Slug        string `json:"slug"`
	Description string `json:"description"`
	MembersOnly bool   `json:"members_only"`
	Subscribers int    `json:"subscribers"`
}

// apiLists is GET /api/v1/lists.
func (s *Server) apiLists(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiToken(w, r); !ok {
		return
	}
	ls, err := s.Mail.Lists(r.Context())
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	items := make([]apiMailingList, 0, len(ls))
	for _, l := range ls {
		items = append(items, apiMailingList{ID: l.ID, Name: l.Name, Slug: l.Slug, Description: l.Description, MembersOnly: l.MembersOnly, Subscribers: l.Active})
	}
	writeJSON(w, http.StatusOK, map[string]any{"items": items})
}

type apiSubscriberIn struct {
	Email  string  `json:"email"`
	Name   string  `json:"name"`
	Lists  []int64 `json:"lists"`
	Status string  `json:"status"`
}

// apiAddSubscriber is POST /api/v1/subscribers. "confirmed" imports an
// address whose consent was obtained elsewhere; "pending" (the default)
// sends the usual confirmation e-mail.
func (s *Server) apiAddSubscriber(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiToken(w, r); !ok {
		return
	}
	var in apiSubscriberIn
	if !readJSON(w, r, &in) {
		return
	}
	if in.Status == "" {
		in.Status = "pending"
	}
	if in.Status != "confirmed" && in.Status != "pending" {
		writeJSON(w, http.StatusUnprocessableEntity, map[string]string{"error": `status is "confirmed" or "pending"`, "field": "status"})
		return
	}
	sub, err := s.Mail.Add(r.Context(), mail.AddInput{Email: in.Email, Name: in.Name, ListIDs: in.Lists, Status: in.Status, Source: "api"})
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	status := "pending"
	if sub.Confirmed() {
		status = "confirmed"
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": sub.ID, "email": sub.Email, "status": status})
}

type apiCampaignIn struct {
	Subject   string  `json:"subject"`
	Preheader string  `json:"preheader"`
	Body      string  `json:"body"`
	Lists     []int64 `json:"lists"`
	Articles  []int64 `json:"articles"`
	Archive   *bool   `json:"archive"`
}

// apiCreateCampaign is POST /api/v1/campaigns: a draft.
func (s *Server) apiCreateCampaign(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiToken(w, r); !ok {
		return
	}
	var in apiCampaignIn
	if !readJSON(w, r, &in) {
		return
	}
	archive := true
	if in.Archive != nil {
		archive = *in.Archive
	}
	c, err := s.Mail.CreateCampaign(r.Context(), mail.CampaignInput{Subject: in.Subject, Preheader: in.Preheader, Body: in.Body,
		ListIDs: in.Lists, ArticleIDs: in.Articles, Archive: archive}, 0)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	writeJSON(w, http.StatusCreated, map[string]any{"id": c.ID, "status": c.Status})
}

func apiID(w http.ResponseWriter, r *http.Request) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue("id"), 10, 64)
	if err != nil || id <= 0 {
		writeJSON(w, http.StatusNotFound, map[string]string{"error": "not found"})
		return 0, false
	}
	return id, true
}

type apiCampaignOut struct {
	ID        int64   `json:"id"`
	Subject   string  `json:"subject"`
	Status    string  `json:"status"`
	Lists     []int64 `json:"lists"`
	Total     int     `json:"total"`
	Sent      int     `json:"sent"`
	Failed    int     `json:"failed"`
	Remaining int     `json:"remaining"`
	Rate      float64 `json:"rate"`
	StartedAt string  `json:"started_at,omitempty"`
	SentAt    string  `json:"finished_at,omitempty"`
}

// apiCampaign is GET /api/v1/campaigns/{id}.
func (s *Server) apiCampaign(w http.ResponseWriter, r *http.Request) {
	if _, ok := s.apiToken(w, r); !ok {
		return
	}
	id, ok := apiID(w, r)
	if !ok {
		return
	}
	c, err := s.Mail.GetCampaign(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	st, err := s.Mail.Stats(r.Context(), id)
	if err != nil {
		s.apiError(w, r, err)
		return
	}
	out := apiCampaignOut{ID: c.ID, Subject: c.Subject, Status: c.Status, Lists: c.ListIDs, Total: st.Total, Sent: st.Sent,
		Failed: st.Failed, Remaining: st.Remaining, Rate: st.Rate}
	if out.Lists == nil {
		out.Lists = []int64{}
	}
	if !c.StartedAt.IsZero() {
		out.StartedAt = c.StartedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	if !c.FinishedAt.IsZero() {
		out.SentAt = c.FinishedAt.UTC().Format("2006-01-02T15:04:05Z")
	}
	writeJSON(w, http.StatusOK, out)
}

// apiSendCampaign is POST /api/v1/campaigns/{id}/send: start sending now.
func (s *Server) apiSendCampaign(w http.ResponseWriter, r *http.Request) {
	t, ok := s.apiToken(w, r)
	if !ok {
		return
	}
	id, ok := apiID(w, r)
	if !ok {
		return
	}
	if err := s.Mail.Send(r.Context(), id); err != nil {
		s.apiError(w, r, err)
		return
	}
	s.Mail.Kick()
	s.Log.Info("campaign sent through the API", "campaign", id, "token", t.ID)
	writeJSON(w, http.StatusAccepted, map[string]any{"id": id, "status": mail.CampaignSending})
}

// openAPIMailPaths describes the mailing lists' admin API.
func openAPIMailPaths() map[string]any {
	secured := []any{map[string]any{"bearerToken": []any{}}}
	idParam := []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}}}
	unauth := jsonResponse("No valid bearer token.", ref("Error"))
	invalid := jsonResponse("The input is not valid; error says why and field names the field.", ref("Error"))
	body := func(schema string) map[string]any {
		return map[string]any{"required": true, "content": map[string]any{"application/json": map[string]any{"schema": ref(schema)}}}
	}
	return map[string]any{
		"/lists": map[string]any{"get": map[string]any{
			"summary": "The mailing lists", "operationId": "listLists", "security": secured,
			"responses": map[string]any{"200": jsonResponse("Every list.", ref("MailingLists")), "401": unauth},
		}},
		"/subscribers": map[string]any{"post": map[string]any{
			"summary":     "Add a subscriber",
			"description": `status "confirmed" imports an address whose consent you obtained elsewhere (no e-mail is sent); "pending" (the default) sends the usual confirmation e-mail. An existing address is updated and added to the lists.`,
			"operationId": "addSubscriber", "security": secured, "requestBody": body("SubscriberInput"),
			"responses": map[string]any{"201": jsonResponse("The subscriber.", ref("Subscriber")), "401": unauth, "422": invalid},
		}},
		"/campaigns": map[string]any{"post": map[string]any{
			"summary": "Create a draft campaign", "operationId": "createCampaign", "security": secured, "requestBody": body("CampaignInput"),
			"responses": map[string]any{"201": jsonResponse("The new campaign's id.", obj(map[string]any{"id": integer(""), "status": str("draft")}, "id")),
				"401": unauth, "422": invalid},
		}},
		"/campaigns/{id}": map[string]any{"get": map[string]any{
			"summary": "A campaign and its delivery counts", "operationId": "getCampaign", "security": secured, "parameters": idParam,
			"responses": map[string]any{"200": jsonResponse("The campaign.", ref("Campaign")), "401": unauth, "404": jsonResponse("No such campaign.", ref("Error"))},
		}},
		"/campaigns/{id}/send": map[string]any{"post": map[string]any{
			"summary":     "Start sending a campaign now",
			"description": "Creates one delivery per confirmed subscriber of the campaign's lists and returns at once; poll GET /campaigns/{id} until status is sent.",
			"operationId": "sendCampaign", "security": secured, "parameters": idParam,
			"responses": map[string]any{"202": jsonResponse("Sending.", obj(map[string]any{"id": integer(""), "status": str("sending")})),
				"401": unauth, "404": jsonResponse("No such campaign.", ref("Error")), "422": invalid},
		}},
	}
}

func openAPIMailSchemas() map[string]any {
	ids := arr(map[string]any{"type": "integer"}, "List ids (see GET /lists).")
	return map[string]any{
		"MailingLists": obj(map[string]any{"items": arr(obj(map[string]any{
			"id": integer(""), "name": str(""), "slug": str(""), "description": str(""),
			"members_only": map[string]any{"type": "boolean"}, "subscribers": integer("Confirmed active subscribers."),
		}, "id", "name"), "")}, "items"),
		"SubscriberInput": obj(map[string]any{"email": str(""), "name": str(""), "lists": ids,
			"status": map[string]any{"type": "string", "enum": []string{"confirmed", "pending"}}}, "email", "lists"),
		"Subscriber": obj(map[string]any{"id": integer(""), "email": str(""), "status": str("confirmed or pending")}, "id", "email", "status"),
		"CampaignInput": obj(map[string]any{"subject": str(""), "preheader": str("Preview line shown by mail programs."),
			"body": str("Markdown."), "lists": ids, "articles": arr(map[string]any{"type": "integer"}, "Article ids for an \"In this issue\" newsletter."),
			"archive": map[string]any{"type": "boolean", "description": "Show in the public archive /newsletters once sent (default true)."}}, "subject", "body", "lists"),
		"Campaign": obj(map[string]any{"id": integer(""), "subject": str(""),
			"status": map[string]any{"type": "string", "enum": []string{"draft", "scheduled", "sending", "sent", "cancelled"}},
			"lists":  ids, "total": integer("Recipients."), "sent": integer(""), "failed": integer(""), "remaining": integer(""),
			"rate":       map[string]any{"type": "number", "description": "Messages per second over the last minute."},
			"started_at": str("RFC 3339, once sending started."), "finished_at": str("RFC 3339, once sent.")},
			"id", "status", "total", "sent", "failed", "remaining"),
	}
}
