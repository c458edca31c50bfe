package postgres

import (
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/restload/restload/destination/internal/sqlload"
)

// SQLSTATE codes that explain maps to advice.
const (
	codeInvalidPassword       = "28P01"
	codeInvalidAuthorization  = "28000"
	codeInvalidCatalogName    = "3D000"
	codeInsufficientPrivilege = "42501"
)

// explain turns an error of talking to the server into one that names the
// server and what to do, with the password redacted. Errors that need no
// advice only get the redaction.
func (c *Client) explain(err error) error {
	if err == nil {
		return nil
	}
	user, db := c.conf.User, c.conf.Database
	var pgErr *pgconn.PgError
	var connErr *pgconn.ConnectError
	switch {
	case errors.As(err, &pgErr) && pgErr.Code == codeInvalidPassword:
		err = fmt.Errorf("postgres at %s rejected the password of user %q: %w; check the user and password in %s",
			c.addr(), user, err, EnvCredentials)
	case errors.As(err, &pgErr) && pgErr.Code == codeInvalidAuthorization:
		err = fmt.Errorf("postgres at %s does not let user %q connect to database %q: %w; check the user in %s, "+
			"and that the server's pg_hba.conf admits it from this host with these TLS settings (sslmode)",
			c.addr(), user, db, err, EnvCredentials)
	case errors.As(err, &pgErr) && pgErr.Code == codeInvalidCatalogName:
		err = fmt.Errorf("database %q does not exist on postgres at %s: %w; create it (CREATE DATABASE %s) or fix the database in %s",
			db, c.addr(), err, sqlload.Ident(db), EnvCredentials)
	case errors.As(err, &pgErr):
	case errors.As(err, &connErr):
		err = fmt.Errorf("postgres at %s cannot be reached: %w; check %s and that the server runs",
			c.addr(), err, EnvCredentials)
	}
	return c.redact(err)
}

// explainLoad adds to a load error the grants that a missing privilege
// needs, then explains it like any other.
func (c *Client) explainLoad(err error, dataset string) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeInsufficientPrivilege && !errors.Is(err, errCreateSchema) {
		user := sqlload.Ident(c.conf.User)
		err = fmt.Errorf("%w; user %s needs USAGE and CREATE on schema %s and write access to its tables: "+
			"GRANT USAGE, CREATE ON SCHEMA %s TO %s; GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA %s TO %s "+
			"(tables that another user created also need ALTER TABLE ... OWNER TO %s before new columns can be added)",
			err, user, sqlload.Ident(dataset), sqlload.Ident(dataset), user, sqlload.Ident(dataset), user, user)
	}
	return c.explain(err)
}

// errCreateSchema marks an error of creating a dataset schema whose
// message already names the grant it needs.
var errCreateSchema = errors.New("create schema")

// createSchemaError explains a failed CREATE SCHEMA.
func (c *Client) createSchemaError(dataset string, err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) && pgErr.Code == codeInsufficientPrivilege {
		user, db := sqlload.Ident(c.conf.User), sqlload.Ident(c.conf.Database)
		return fmt.Errorf("%w %s: user %s may not create schemas in database %s: %w; "+
			"grant it with GRANT CREATE ON DATABASE %s TO %s, or create the schema for it with CREATE SCHEMA %s AUTHORIZATION %s",
			errCreateSchema, dataset, user, db, err, db, user, sqlload.Ident(dataset), user)
	}
	return fmt.Errorf("create schema %s: %w", dataset, err)
}

// addr returns host:port of the server, or the socket folder.
func (c *Client) addr() string {
	if strings.HasPrefix(c.conf.Host, "/") {
		return c.conf.Host
	}
	return net.JoinHostPort(c.conf.Host, strconv.Itoa(int(c.conf.Port)))
}

// redact returns err with every form of the password removed from its
// message.
func (c *Client) redact(err error) error {
	return redactor{secrets: []string{c.conf.Password}}.wrap(err)
}

// redactor removes secrets from error messages.
type redactor struct{ secrets []string }

func (r redactor) wrap(err error) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	for _, s := range r.secrets {
		if s == "" {
			continue
		}
		for _, form := range []string{s, url.QueryEscape(s), url.PathEscape(s), url.UserPassword("u", s).String()[2:]} {
			msg = strings.ReplaceAll(msg, form, "***")
		}
	}
	return &redactedError{msg: msg, err: err}
}

// redactedError is an error whose message has its secrets replaced. It
// unwraps to the original, so errors.As still finds the driver's types,
// whose own messages may contain the secrets.
type redactedError struct {
	msg string
	err error
}

func (e *redactedError) Error() string { return e.msg }
func (e *redactedError) Unwrap() error { return e.err }

// passwordsIn returns the passwords that a connection URL contains, for
// redacting messages about a URL that the driver could not parse.
func passwordsIn(raw string) []string {
	u, err := url.Parse(raw)
	if err != nil {
		// Without a parse, redact what follows "user:" up to "@".
		if at := strings.LastIndex(raw, "@"); at > 0 {
			if i := strings.Index(raw, "://"); i >= 0 {
				userinfo := raw[i+3 : at]
				if _, pw, ok := strings.Cut(userinfo, ":"); ok {
					return []string{pw}
				}
			}
		}
		return nil
	}
	var out []string
	if pw, ok := u.User.Password(); ok {
		out = append(out, pw)
	}
	q := u.Query()
	return append(out, q.Get("password"), q.Get("sslpassword"))
}

// redactURL returns the connection string raw as a URL with its
// passwords replaced by "***". A keyword/value string is rewritten as a
// URL from the parsed configuration, without its options.
func redactURL(raw string, conf *pgx.ConnConfig) string {
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
		loc := "postgresql://" + url.User(conf.User).String()
		if conf.Password != "" {
			loc += ":***"
		}
		host := conf.Host
		if !strings.HasPrefix(host, "/") {
			host = net.JoinHostPort(host, strconv.Itoa(int(conf.Port)))
		} else {
			host = url.PathEscape(host)
		}
		return loc + "@" + host + "/" + url.PathEscape(conf.Database)
	}
	var b strings.Builder
	b.WriteString(u.Scheme + "://")
	if u.User != nil {
		b.WriteString(url.User(u.User.Username()).String())
		if _, ok := u.User.Password(); ok {
			b.WriteString(":***")
		}
		b.WriteString("@")
	}
	b.WriteString(u.Host)
	b.WriteString(u.EscapedPath())
	if u.RawQuery != "" {
		params := strings.Split(u.RawQuery, "&")
		for i, p := range params {
			key, _, _ := strings.Cut(p, "=")
			if k, err := url.QueryUnescape(key); err == nil && (k == "password" || k == "sslpassword") {
				params[i] = key + "=***"
			}
		}
		b.WriteString("?" + strings.Join(params, "&"))
	}
	return b.String()
}
