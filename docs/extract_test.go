package docs_test

import (
	"strings"
	"testing"
)

func TestExtractRejects(t *testing.T) {
	t.Parallel()
	for _, tt := range []struct{ name, md, want string }{
		{"no directive", "text\n```go\nx := 1\n```\n", "t.md:2: go block without"},
		{"skip without reason", "<!-- snippet: skip -->\n```go\nx\n```\n", "t.md:2: snippet comment: skip needs reason"},
		{"unknown key", "<!-- snippet: with=x -->\n```go\nx\n```\n", `unknown key "with"`},
		{"after unknown id", "<!-- snippet: after=nope -->\n```go\nx\n```\n", "t.md:3: after=nope: no earlier block has that id"},
		{"after a skipped block", "<!-- snippet: id=a skip reason=\"pseudo-code\" -->\n```go\nx\n```\n<!-- snippet: after=a -->\n```go\ny\n```\n", "after=a: that block is not a compiled fragment"},
		{"duplicate id", "<!-- snippet: id=a -->\n```go\nx\n```\n<!-- snippet: id=a -->\n```go\ny\n```\n", "t.md:7: id=a already names t.md:3"},
		{"program with imports", "<!-- snippet: program imports=fmt -->\n```go\nx\n```\n", "a program declares its own imports"},
		{"recipe that follows a block", "<!-- snippet: id=a -->\n```go\nx\n```\n<!-- snippet: recipe=A after=a -->\n```go\ny\n```\n", "a recipe is compiled by the recipes module"},
		{"unclosed", "<!-- snippet: program -->\n```go\npackage main\n", "t.md:3: go block not closed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			t.Parallel()
			_, err := extract("t.md", tt.md)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want it to contain %q", err, tt.want)
			}
		})
	}
}

func TestExtractReads(t *testing.T) {
	t.Parallel()
	md := "# t\n\n```sh\nmake demo\n```\n\n" +
		"<!-- snippet: id=a imports=\"fmt os\" given=gin -->\n```go\nfmt.Println(os.Args)\n```\n" +
		"<!-- snippet: skip reason=\"shows an interface\" -->\n```go\n...\n```\n" +
		"<!-- snippet: after=a -->\n```go\nfmt.Println()\n```\n" +
		"<!-- snippet: recipe=Pgxpool imports=\"time\" -->\n```go\nh.Register(check)\n```\n"
	got, err := extract("t.md", md)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 4 {
		t.Fatalf("got %d snippets, want 4 (the sh block is not Go)", len(got))
	}
	a, skip, b, recipe := got[0], got[1], got[2], got[3]
	if recipe.recipe != "Pgxpool" || recipe.skip != "compiled and run by the recipes module as recipes.Pgxpool" {
		t.Errorf("recipe block: %+v, want it left to the recipes module", recipe)
	}
	if a.pos() != "t.md:9" || a.id != "a" || strings.Join(a.imports, " ") != "fmt os" || strings.Join(a.given, " ") != "gin" || a.code != "fmt.Println(os.Args)\n" {
		t.Errorf("first block: %+v", a)
	}
	if skip.skip != "shows an interface" {
		t.Errorf("skip reason = %q", skip.skip)
	}
	if c := chain(b, map[string]*snippet{"a": a}); len(c) != 2 || c[0] != a || c[1] != b {
		t.Errorf("chain of the third block = %v, want [a, b]", c)
	}
}

// A block that does not compile fails, and the message points at the
// Markdown line of the error, not at generated code.
func TestBuildReportsMarkdownLine(t *testing.T) {
	t.Parallel()
	md := "<!-- snippet: id=a imports=\"fmt\" -->\n```go\nx := 1\nfmt.Println(x)\n```\n\n" +
		"<!-- snippet: after=a -->\n```go\nx := 2 // pasted after the first: x is declared again\n```\n"
	s, err := extract("broken.md", md)
	if err != nil {
		t.Fatal(err)
	}
	out, err := build(t, [][]*snippet{s})
	if err == nil {
		t.Fatalf("build succeeded, want a failure; output:\n%s", out)
	}
	for _, want := range []string{"# go block at broken.md:9", "broken.md:9:", "no new variables on left side of :="} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
}
