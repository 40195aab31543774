package docs_test

import (
	"bufio"
	"fmt"
	"regexp"
	"strings"
)

// A snippet is one ```go block of a Markdown file, and how to compile it.
//
// The HTML comment on the line right before the fence says how, so that the
// rendered page shows only the code while the source keeps the contract:
//
//		<!-- snippet: id=registry imports="context log github.com/probekit/probekit/core" -->
//		<!-- snippet: after=registry given=gin imports="github.com/gin-gonic/gin" -->
//		<!-- snippet: program -->
//		<!-- snippet: skip reason="pseudo-code of an interface" -->
//		<!-- snippet: recipe=Pgxpool imports="time github.com/jackc/pgx/v5/pgxpool" -->
//
//	  - A fragment (the default) is the body of a function returning error,
//	    as a reader pastes it into their own main or run function; imports
//	    lists the packages it uses, by path.
//	  - after=ID continues the fragment named ID in the same function, the way
//	    the README asks the reader to write one after the other: a variable
//	    declared again with := fails, as it would for the reader. Imports add
//	    up along the chain.
//	  - given=NAME (repeatable, space-separated) adds testdata/given/NAME.go:
//	    the reader's own code that the fragment only calls (a handler, say).
//	    testdata/given/common.go is always there (db, version, pingRedis).
//	  - program: a whole file, package main, compiled as is.
//	  - skip: not compiled; a reason is required.
//	  - recipe=NAME: not compiled here but by the recipes module, whose
//	    test holds the block equal to the body of its function NAME and
//	    runs it (docs/recipes.md: the clients' own checks, whose drivers
//	    this module does not require); imports lists what the block uses.
//
// Imports are listed rather than guessed (goimports): a guess picks one of
// several packages named middleware, and would add a dependency on x/tools.
type snippet struct {
	file string // as given to extract, for messages
	line int    // of the first line of code, after the fence
	code string

	id, after string
	imports   []string
	given     []string
	program   bool
	skip      string
	recipe    string // the recipes module's function whose body this block is
}

func (s *snippet) pos() string { return fmt.Sprintf("%s:%d", s.file, s.line) }

var (
	fence     = regexp.MustCompile("^\\s*```+\\s*([\\w+-]*)")
	directive = regexp.MustCompile(`^\s*<!--\s*snippet:(.*)-->\s*$`)
	field     = regexp.MustCompile(`(\w+)(?:=(?:"([^"]*)"|(\S+)))?`)
)

// extract returns every ```go block of the Markdown text md, read from file.
// A block without a snippet comment, or with a malformed one, is an error
// naming file:line: every Go block of the docs is compiled or says why not.
func extract(file, md string) ([]*snippet, error) {
	var (
		out     []*snippet
		errs    []string
		prev    string // the line before the current one
		cur     *snippet
		inFence string // the fence's info string while inside a block
		body    strings.Builder
	)
	sc := bufio.NewScanner(strings.NewReader(md))
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := fence.FindStringSubmatch(line); m != nil {
			switch {
			case inFence == "" && m[1] == "":
				inFence = "text" // an unlabelled block: not Go
			case inFence == "":
				inFence = m[1]
				if inFence == "go" {
					s, err := parseDirective(prev)
					if err != nil {
						errs = append(errs, fmt.Sprintf("%s:%d: %v", file, n, err))
						s = &snippet{skip: "bad directive"}
					}
					s.file, s.line = file, n+1
					cur = s
					body.Reset()
				}
			case m[1] == "": // the closing fence
				if cur != nil {
					cur.code = body.String()
					out = append(out, cur)
					cur = nil
				}
				inFence = ""
			}
			prev = line
			continue
		}
		if cur != nil {
			body.WriteString(line)
			body.WriteByte('\n')
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %w", file, err)
	}
	if cur != nil {
		errs = append(errs, fmt.Sprintf("%s: go block not closed", cur.pos()))
	}
	if err := link(out); err != nil {
		errs = append(errs, err.Error())
	}
	if len(errs) > 0 {
		return nil, fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return out, nil
}

// parseDirective reads the snippet comment line before a ```go fence.
func parseDirective(line string) (*snippet, error) {
	m := directive.FindStringSubmatch(line)
	if m == nil {
		return nil, fmt.Errorf(`go block without a "<!-- snippet: ... -->" comment on the line before it (see docs/snippet_test.go)`)
	}
	s := &snippet{}
	skip := false
	for _, f := range field.FindAllStringSubmatch(m[1], -1) {
		key, val := f[1], f[2]+f[3]
		switch key {
		case "id":
			s.id = val
		case "after":
			s.after = val
		case "imports":
			s.imports = strings.Fields(val)
		case "given":
			s.given = strings.Fields(val)
		case "program":
			s.program = true
		case "skip":
			skip = true
		case "reason":
			s.skip = val
		case "recipe":
			s.recipe = val
		default:
			return nil, fmt.Errorf("snippet comment: unknown key %q", key)
		}
	}
	switch {
	case skip && strings.TrimSpace(s.skip) == "":
		return nil, fmt.Errorf(`snippet comment: skip needs reason="why this block cannot compile"`)
	case !skip && s.skip != "":
		return nil, fmt.Errorf("snippet comment: reason without skip")
	case s.program && (s.after != "" || len(s.imports) > 0 || len(s.given) > 0):
		return nil, fmt.Errorf("snippet comment: a program declares its own imports and follows nothing")
	case s.recipe != "" && (skip || s.program || s.id != "" || s.after != "" || len(s.given) > 0):
		return nil, fmt.Errorf("snippet comment: a recipe is compiled by the recipes module as the body of its function: it takes imports only")
	case s.recipe != "":
		s.skip = "compiled and run by the recipes module as recipes." + s.recipe
	}
	return s, nil
}

// link checks that every after= names an earlier fragment of the same file
// and that ids are unique.
func link(snippets []*snippet) error {
	ids := map[string]*snippet{}
	var errs []string
	for _, s := range snippets {
		if s.after != "" {
			p, ok := ids[s.after]
			switch {
			case !ok:
				errs = append(errs, fmt.Sprintf("%s: after=%s: no earlier block has that id", s.pos(), s.after))
			case p.program || p.skip != "":
				errs = append(errs, fmt.Sprintf("%s: after=%s: that block is not a compiled fragment", s.pos(), s.after))
			}
		}
		if s.id != "" {
			if p, dup := ids[s.id]; dup {
				errs = append(errs, fmt.Sprintf("%s: id=%s already names %s", s.pos(), s.id, p.pos()))
			}
			ids[s.id] = s
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("%s", strings.Join(errs, "\n"))
	}
	return nil
}

// chain returns s preceded by the fragments it continues, first first.
func chain(s *snippet, byID map[string]*snippet) []*snippet {
	var c []*snippet
	for p := s; p != nil; p = byID[p.after] {
		c = append([]*snippet{p}, c...)
		if p.after == "" {
			break
		}
	}
	return c
}
