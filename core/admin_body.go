package core

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"net/http"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"
)

// readAdminJSON decodes the body of req into v: one JSON object, no unknown
// fields, at most maxAdminBody bytes, Content-Type application/json when
// set. On failure it answers (400, 413 or 415, with the reason) and returns
// false.
func readAdminJSON(w http.ResponseWriter, req *http.Request, v any) bool {
	if ct := req.Header.Get("Content-Type"); ct != "" {
		if mt, _, err := mime.ParseMediaType(ct); err != nil || mt != "application/json" {
			writeAdminError(w, http.StatusUnsupportedMediaType, "Content-Type must be application/json")
			return false
		}
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, req.Body, maxAdminBody))
	if err != nil {
		if errors.As(err, new(*http.MaxBytesError)) {
			writeAdminError(w, http.StatusRequestEntityTooLarge, "body over "+strconv.Itoa(maxAdminBody)+" bytes")
			return false
		}
		if errors.Is(err, os.ErrDeadlineExceeded) {
			writeAdminError(w, http.StatusRequestTimeout, "the body did not arrive in time")
			return false
		}
		writeAdminError(w, http.StatusBadRequest, "reading the body failed")
		return false
	}
	// The body is read: lift admin.ServeHTTP's bound (kept after a failed
	// read, which must also bound net/http's draining of the rest).
	_ = http.NewResponseController(w).SetReadDeadline(time.Time{})
	if len(bytes.TrimSpace(body)) == 0 {
		writeAdminError(w, http.StatusBadRequest, "missing JSON body")
		return false
	}
	dec := json.NewDecoder(bytes.NewReader(body))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		writeAdminError(w, http.StatusBadRequest, "bad JSON body: "+jsonProblem(err))
		return false
	}
	if dec.More() {
		writeAdminError(w, http.StatusBadRequest, "bad JSON body: data after the object")
		return false
	}
	return true
}

// jsonProblem describes a decoding error without echoing the body: the
// field and type for a type mismatch, the field for an unknown one.
func jsonProblem(err error) string {
	var typ *json.UnmarshalTypeError
	var syn *json.SyntaxError
	switch {
	case errors.As(err, &typ):
		return "field " + quote(typ.Field) + " must be " + typ.Type.String()
	case errors.As(err, &syn):
		return "syntax error at byte " + strconv.FormatInt(syn.Offset, 10)
	case errors.Is(err, io.ErrUnexpectedEOF):
		return "truncated"
	case strings.HasPrefix(err.Error(), "json: unknown field "):
		return "unknown field " + quote(strings.Trim(strings.TrimPrefix(err.Error(), "json: unknown field "), `"`))
	}
	return "not a JSON object"
}

// checkActor returns why actor is unusable, or "": required, at most
// maxActorLen bytes, printable UTF-8 only, so that a log line shows who
// acted exactly as they said.
func checkActor(actor string) string {
	switch {
	case strings.TrimSpace(actor) == "":
		return `missing field "actor" (who acts: a user name or ticket)`
	case len(actor) > maxActorLen:
		return `field "actor" is longer than ` + strconv.Itoa(maxActorLen) + " bytes"
	case !utf8.ValidString(actor):
		return `field "actor" is not valid UTF-8`
	}
	for _, r := range actor {
		if !unicode.IsPrint(r) {
			return `field "actor" holds a control or format character`
		}
	}
	return ""
}

// writeAdminJSON answers code with v as JSON.
func writeAdminJSON(w http.ResponseWriter, code int, v any) {
	body, err := json.Marshal(v)
	if err != nil {
		code, body = http.StatusInternalServerError, []byte(`{"error":"encoding the answer failed"}`)
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	_, _ = w.Write(append(body, '\n'))
}

// writeAdminError answers code with {"error": reason}.
func writeAdminError(w http.ResponseWriter, code int, reason string) {
	writeAdminJSON(w, code, struct {
		Error string `json:"error"`
	}{reason})
}
