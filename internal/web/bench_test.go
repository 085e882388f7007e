package web_test

import (
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"testing"

	"coalition/internal/app"
	"coalition/internal/config"
	"coalition/internal/demo"
	"coalition/internal/testkit"
)

// BenchmarkHome renders the home page through the whole middleware chain,
// for profiling (go test -bench Home -cpuprofile cpu.out ./internal/web/).
func BenchmarkHome(b *testing.B) {
	d := testkit.NewSQLite(b)
	cfg := config.Default()
	cfg.DataDir = b.TempDir()
	if err := cfg.Validate(); err != nil {
		b.Fatal(err)
	}
	a, err := app.OpenDB(context.Background(), cfg, slog.New(slog.NewTextHandler(io.Discard, &slog.HandlerOptions{Level: slog.LevelError})), d)
	if err != nil {
		b.Fatal(err)
	}
	if err := a.Settings.Save(context.Background(), demo.Settings()); err != nil {
		b.Fatal(err)
	}
	h, err := a.Handler(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	req := httptest.NewRequest(http.MethodGet, "/", nil)
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		w := httptest.NewRecorder()
		h.ServeHTTP(w, req)
		if w.Code != http.StatusOK {
			b.Fatal(w.Code)
		}
	}
}
