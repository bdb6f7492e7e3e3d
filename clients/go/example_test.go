package mcias_test

import (
	"context"
	"errors"
	"fmt"
	"log"
	"net/http"
	"os"
	"strings"
	"time"

	mcias "git.wntrmute.dev/kyle/mcias/clients/go"
)

// Log in, check the token with the server, call an authenticated route.
func Example() {
	ctx := context.Background()
	c, err := mcias.New("https://auth.example.com:8443", mcias.Options{CAFile: "/etc/mcias/ca.pem"})
	if err != nil {
		log.Fatal(err)
	}
	if _, err := c.Login(ctx, "alice", os.Getenv("ALICE_PASSWORD"), ""); err != nil {
		log.Fatal(err) // never contains the password
	}
	v, err := c.Validate(ctx, c.Token())
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(v.Valid, v.Username)
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println(me.Roles)
}

// An app that verifies bearer tokens locally (no round trip per request) with the
// server's cached JWKS.
func ExampleClient_VerifyLocally() {
	c, err := mcias.New("https://auth.example.com:8443", mcias.Options{
		CAFile:   "/etc/mcias/ca.pem",
		Issuer:   "https://auth.example.com:8443", // the server's tokens.issuer
		Audience: "wiki",                          // optional: refuse tokens for other apps
	})
	if err != nil {
		log.Fatal(err)
	}
	http.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		tok, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
		claims, err := c.VerifyLocally(r.Context(), tok)
		if !ok || err != nil {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		fmt.Fprintf(w, "hello %s\n", claims.Username)
	})
}

// A service reads its own Postgres credentials with its service token.
func ExampleClient_GetPgCreds() {
	ctx := context.Background()
	c, err := mcias.New("https://auth.example.com:8443", mcias.Options{
		CAFile: "/etc/mcias/ca.pem",
		Token:  os.Getenv("MCIAS_TOKEN"), // issued with `mcias ctl token issue`
	})
	if err != nil {
		log.Fatal(err)
	}
	me, err := c.Me(ctx)
	if err != nil {
		log.Fatal(err)
	}
	pg, err := c.GetPgCreds(ctx, me.ID)
	if err != nil {
		log.Fatal(err)
	}
	dsn := fmt.Sprintf("postgres://%s:%s@%s:%d/%s", pg.Username, pg.Password, pg.Host, pg.Port, pg.Database)
	_ = dsn         // hand it to the database driver
	fmt.Println(pg) // prints Password:[redacted]
}

// Telling errors apart: errors.Is for the kind, errors.As for the details.
func ExampleError() {
	ctx := context.Background()
	c, _ := mcias.New("https://auth.example.com:8443", mcias.Options{})
	_, err := c.Login(ctx, "alice", "wrong password", "")
	switch {
	case errors.Is(err, mcias.ErrUnauthorized):
		fmt.Println("wrong username, password or TOTP code")
	case errors.Is(err, mcias.ErrRateLimited):
		var e *mcias.Error
		errors.As(err, &e)
		time.Sleep(e.RetryAfter)
	case errors.Is(err, mcias.ErrVaultSealed):
		fmt.Println("the server is sealed")
	case errors.Is(err, mcias.ErrTransport):
		fmt.Println("cannot reach the server:", err)
	}
}
