package web

import (
	"maps"
	"net/http"
)

// The OpenAPI description is assembled from one function per API group,
// each returning its "paths" entries and component schemas, so that groups
// added later (mail, members…) only add a line to openAPIGroups.
type openAPIGroup struct {
	paths   func() map[string]any
	schemas func() map[string]any
}

func openAPIGroups() []openAPIGroup {
	return []openAPIGroup{
		{openAPIDocumentsPaths, openAPIDocumentsSchemas},
		{openAPIMailPaths, openAPIMailSchemas},
	}
}

// openAPIDocument builds the whole OpenAPI 3 document.
func (s *Server) openAPIDocument() map[string]any {
	paths, schemas := map[string]any{}, map[string]any{
		"Error": obj(map[string]any{"error": str("What went wrong.")}, "error"),
	}
	for _, g := range openAPIGroups() {
		maps.Copy(paths, g.paths())
		if g.schemas != nil {
			maps.Copy(schemas, g.schemas())
		}
	}
	site := "Coalition"
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{
			"title":       site + " public API",
			"version":     "1",
			"description": "Read-only access to the public content of the site (no key needed; members-only items appear only with a signed-in member's session), and the mailing lists' admin API, which needs a bearer token from `coalition token create`.",
		},
		"servers": []any{map[string]any{"url": s.Config.BaseURL + "/api/v1"}},
		"paths":   paths,
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{
			"bearerToken": map[string]any{"type": "http", "scheme": "bearer", "description": "A token printed by `coalition token create --role admin|editor`."},
		}},
	}
}

func (s *Server) apiOpenAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Cache-Control", "public, max-age=3600")
	writeJSON(w, http.StatusOK, s.openAPIDocument())
}

// Small helpers for writing schemas.
func str(desc string) map[string]any { return map[string]any{"type": "string", "description": desc} }
func integer(desc string) map[string]any {
	return map[string]any{"type": "integer", "description": desc}
}
func arr(items any, desc string) map[string]any {
	return map[string]any{"type": "array", "items": items, "description": desc}
}
func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }
func obj(props map[string]any, required ...string) map[string]any {
	o := map[string]any{"type": "object", "properties": props}
	if len(required) > 0 {
		o["required"] = required
	}
	return o
}
func queryParam(name, desc string, schema map[string]any) map[string]any {
	return map[string]any{"name": name, "in": "query", "required": false, "description": desc, "schema": schema}
}
func jsonResponse(desc string, schema any) map[string]any {
	return map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": schema}}}
}

func openAPIDocumentsPaths() map[string]any {
	s := map[string]any{"type": "string"}
	params := []any{
		queryParam("q", `Full-text query: words, "exact phrases", OR, -excluded, prefix*. Accents are ignored.`, s),
		queryParam("region", "UN M49 region or sub-region slug, e.g. africa, western-asia.", s),
		queryParam("grouping", "Coalition region slug, e.g. middle-east-and-north-africa.", s),
		queryParam("country", "ISO 3166 alpha-3 country code, e.g. SYR.", s),
		queryParam("theme", "Theme slug.", s),
		queryParam("crisis", "Crisis slug.", s),
		queryParam("type", "Document type slug, e.g. statement.", s),
		queryParam("year", "Year of the document's date.", map[string]any{"type": "integer"}),
		queryParam("language", "ISO 639-1 language code, e.g. en.", s),
		queryParam("source", "Source organisation, exactly as listed in the facets.", s),
		queryParam("sort", "newest to sort a text query by date instead of relevance.", map[string]any{"type": "string", "enum": []string{"newest"}}),
		queryParam("page", "Page number, from 1.", map[string]any{"type": "integer", "minimum": 1}),
		queryParam("per_page", "Items per page (at most 100, default 20).", map[string]any{"type": "integer", "minimum": 1, "maximum": 100}),
	}
	return map[string]any{
		"/documents": map[string]any{"get": map[string]any{
			"summary":     "Search and browse the document library",
			"description": "Newest first, or by relevance with q. Unknown filter values are ignored and explained in notes.",
			"operationId": "listDocuments",
			"parameters":  params,
			"responses": map[string]any{
				"200": jsonResponse("A page of documents with the total and facet counts over all matches.", ref("DocumentList")),
			},
		}},
		"/documents/{id}": map[string]any{"get": map[string]any{
			"summary":     "One document",
			"operationId": "getDocument",
			"parameters":  []any{map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": "integer"}}},
			"responses": map[string]any{
				"200": jsonResponse("The document.", ref("Document")),
				"404": jsonResponse("No such document (or it is for members only).", ref("Error")),
			},
		}},
	}
}

func openAPIDocumentsSchemas() map[string]any {
	strs := map[string]any{"type": "string"}
	facet := arr(obj(map[string]any{"value": str("Filter value to pass back."), "label": str("Display name."), "count": integer("Matching documents.")},
		"value", "label", "count"), "")
	return map[string]any{
		"Document": obj(map[string]any{
			"id": integer(""), "title": str(""), "date": str("YYYY-MM-DD"), "type": str("Document type slug."), "source": str("Source organisation."),
			"language": str("ISO 639-1 code."), "summary": str(""), "access": map[string]any{"type": "string", "enum": []string{"public", "members"}},
			"url": str("The document's page."), "file_url": str("Download address of the file, if uploaded."), "link_url": str("Address elsewhere, for linked documents."),
			"format": str("pdf, docx, odt, txt or html."), "size": integer("File size in bytes."),
			"countries": arr(strs, "ISO 3166 alpha-3 codes."), "themes": arr(strs, "Theme slugs."), "crises": arr(strs, "Crisis slugs."),
			"snippet": str("With q: an HTML fragment of the text around the matches, matches in <mark>; everything else escaped."),
		}, "id", "title", "date", "type", "language", "access", "url", "countries", "themes", "crises"),
		"DocumentList": obj(map[string]any{
			"items": arr(ref("Document"), ""), "total": integer("Documents matching, over all pages."), "page": integer(""), "per_page": integer(""),
			"facets": map[string]any{"type": "object", "description": "Counts by region, subregion, country, grouping, theme, crisis, type, year, language, source.",
				"additionalProperties": facet},
			"notes": arr(strs, "Remarks about the query (parts ignored, unknown filters)."),
		}, "items", "total", "facets"),
	}
}
