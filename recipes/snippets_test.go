package recipes_test

import (
	"bufio"
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"
)

// The guide users read is docs/recipes.md; what this module compiles and
// runs is its exported functions. A recipe block of the guide is the body of
// one function, as written, and the docs module's extractor leaves it to
// this test (see docs/snippet_test.go):
//
//	<!-- snippet: recipe=Pgxpool imports="time github.com/jackc/pgx/v5/pgxpool github.com/probekit/probekit/core" -->
//	```go
//	if err := h.Register(core.Check{ ... }); err != nil {
//		return err
//	}
//	```
//
// is func Pgxpool(h *core.Registry, pool *pgxpool.Pool) error { <the block> return nil },
// unindented by one tab, and imports lists exactly the imports of its file.
const guide = "../docs/recipes.md"

// A recipe is one block of the guide or one function of the package.
type recipe struct {
	name    string
	pos     string   // file:line of the code
	code    string   // the block, or the function's body without its last "return nil"
	imports []string // sorted import paths
}

func TestGuideMatchesCode(t *testing.T) {
	t.Parallel()
	blocks, err := guideBlocks(guide)
	if err != nil {
		t.Fatal(err)
	}
	funcs, err := recipeFuncs(".")
	if err != nil {
		t.Fatal(err)
	}
	if len(funcs) == 0 || len(blocks) == 0 {
		t.Fatalf("%d functions, %d blocks: is the extractor broken?", len(funcs), len(blocks))
	}
	seen := map[string]string{}
	for _, b := range blocks {
		if prev, dup := seen[b.name]; dup {
			t.Errorf("%s: recipe=%s already shown at %s", b.pos, b.name, prev)
			continue
		}
		seen[b.name] = b.pos
		f, ok := funcs[b.name]
		if !ok {
			t.Errorf("%s: recipe=%s: the package has no exported function %s", b.pos, b.name, b.name)
			continue
		}
		if b.code != f.code {
			t.Errorf("%s: the block differs from the body of %s (%s):\n%s", b.pos, b.name, f.pos, diff(b.code, f.code))
		}
		if !slices.Equal(b.imports, f.imports) {
			t.Errorf("%s: imports=%q, but %s's file imports %q", b.pos, strings.Join(b.imports, " "), b.name, strings.Join(f.imports, " "))
		}
	}
	for name, f := range funcs {
		if _, ok := seen[name]; !ok {
			t.Errorf("%s: %s is not shown in %s (a block with recipe=%s)", f.pos, name, guide, name)
		}
	}
}

var (
	fence     = regexp.MustCompile("^```+\\s*([\\w+-]*)\\s*$")
	directive = regexp.MustCompile(`^\s*<!--\s*snippet:(.*)-->\s*$`)
	recipeKey = regexp.MustCompile(`(?:^|\s)recipe=(\S+)`)
	importKey = regexp.MustCompile(`(?:^|\s)imports="([^"]*)"`)
)

// guideBlocks returns the ```go blocks of the Markdown file that carry a
// recipe= directive. A Go block without one is an error: the guide's code
// is the compiled code, all of it.
func guideBlocks(file string) ([]recipe, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var (
		out  []recipe
		cur  *recipe
		in   bool // inside a fenced block of any language
		prev string
		body strings.Builder
	)
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if m := fence.FindStringSubmatch(line); m != nil {
			switch {
			case !in && m[1] == "go":
				d := directive.FindStringSubmatch(prev)
				var r []string
				if d != nil {
					r = recipeKey.FindStringSubmatch(d[1])
				}
				if r == nil {
					return nil, fmt.Errorf("%s:%d: a go block without <!-- snippet: recipe=NAME imports=\"...\" --> on the line before", file, n)
				}
				cur = &recipe{name: r[1], pos: fmt.Sprintf("%s:%d", file, n+1)}
				if i := importKey.FindStringSubmatch(d[1]); i != nil {
					cur.imports = strings.Fields(i[1])
					slices.Sort(cur.imports)
				}
				body.Reset()
				in = true
			case !in:
				in = true
			case m[1] == "": // the closing fence
				if cur != nil {
					cur.code = body.String()
					out = append(out, *cur)
					cur = nil
				}
				in = false
			}
			prev = line
			continue
		}
		if cur != nil {
			body.WriteString(line + "\n")
		}
		prev = line
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if in {
		return nil, fmt.Errorf("%s: a fenced block is not closed", file)
	}
	return out, nil
}

// recipeFuncs returns the exported functions of the package in dir, each
// with its body as a reader pastes it: the lines between the braces, but the
// last "return nil", unindented by one tab.
func recipeFuncs(dir string) (map[string]recipe, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	out := map[string]recipe{}
	fset := token.NewFileSet()
	for _, name := range files {
		if strings.HasSuffix(name, "_test.go") {
			continue
		}
		src, err := os.ReadFile(name)
		if err != nil {
			return nil, err
		}
		f, err := parser.ParseFile(fset, name, src, parser.SkipObjectResolution)
		if err != nil {
			return nil, err
		}
		var imports []string
		for _, i := range f.Imports {
			p, err := strconv.Unquote(i.Path.Value)
			if err != nil {
				return nil, err
			}
			imports = append(imports, p)
		}
		slices.Sort(imports)
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok || fn.Recv != nil || !fn.Name.IsExported() {
				continue
			}
			pos := fset.Position(fn.Pos()).String()
			body, err := pasted(fset, src, fn)
			if err != nil {
				return nil, fmt.Errorf("%s: %s: %w", pos, fn.Name.Name, err)
			}
			out[fn.Name.Name] = recipe{name: fn.Name.Name, pos: pos, code: body, imports: imports}
		}
	}
	return out, nil
}

// pasted returns fn's body without its final "return nil", unindented.
func pasted(fset *token.FileSet, src []byte, fn *ast.FuncDecl) (string, error) {
	list := fn.Body.List
	if len(list) == 0 {
		return "", fmt.Errorf("empty body")
	}
	last, ok := list[len(list)-1].(*ast.ReturnStmt)
	if !ok || len(last.Results) != 1 {
		return "", fmt.Errorf(`a recipe ends with "return nil"`)
	}
	if id, ok := last.Results[0].(*ast.Ident); !ok || id.Name != "nil" {
		return "", fmt.Errorf(`a recipe ends with "return nil"`)
	}
	from := fset.Position(fn.Body.Lbrace).Offset + 1 // after "{"
	to := fset.Position(last.Pos()).Offset
	text := strings.TrimPrefix(string(src[from:to]), "\n")
	text = strings.TrimRight(text, "\t") // the indentation of "return nil"
	var b strings.Builder
	for line := range strings.Lines(text) {
		if line != "\n" && !strings.HasPrefix(line, "\t") {
			return "", fmt.Errorf("line %q is not indented by a tab", line)
		}
		b.WriteString(strings.TrimPrefix(line, "\t"))
	}
	return b.String(), nil
}

// diff names the first line where a and b differ.
func diff(a, b string) string {
	al, bl := strings.Split(a, "\n"), strings.Split(b, "\n")
	for i := range max(len(al), len(bl)) {
		var x, y string
		if i < len(al) {
			x = al[i]
		}
		if i < len(bl) {
			y = bl[i]
		}
		if x != y {
			return fmt.Sprintf("  line %d of the block: %q\n  line %d of the body:  %q", i+1, x, i+1, y)
		}
	}
	return "  (they differ in trailing newlines)"
}

// The extractor itself: a block that is not the body fails, and says where.
func TestGuideExtractor(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	md := filepath.Join(dir, "g.md")
	write := func(s string) {
		t.Helper()
		if err := os.WriteFile(md, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	write("# g\n\n```sh\nmake\n```\n\n<!-- snippet: recipe=A imports=\"time fmt\" -->\n```go\nx := 1\n```\n")
	got, err := guideBlocks(md)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].name != "A" || got[0].code != "x := 1\n" || strings.Join(got[0].imports, " ") != "fmt time" || got[0].pos != md+":9" {
		t.Errorf("blocks = %+v", got)
	}
	write("text\n```go\nx := 1\n```\n")
	if _, err := guideBlocks(md); err == nil || !strings.Contains(err.Error(), "g.md:2: a go block without") {
		t.Errorf("a block without a recipe: err = %v", err)
	}

	src := "package p\n\nfunc A(h int) error {\n\tx := 1\n\n\t_ = x\n\treturn nil\n}\n\nfunc B() error { return err }\n"
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(src), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = recipeFuncs(dir)
	if err == nil || !strings.Contains(err.Error(), `B: a recipe ends with "return nil"`) {
		t.Errorf("a function that does not end in return nil: err = %v", err)
	}
	good, _, _ := strings.Cut(src, "func B")
	if err := os.WriteFile(filepath.Join(dir, "p.go"), []byte(good), 0o644); err != nil {
		t.Fatal(err)
	}
	funcs, err := recipeFuncs(dir)
	if err != nil {
		t.Fatal(err)
	}
	if a := funcs["A"]; a.code != "x := 1\n\n_ = x\n" {
		t.Errorf("body of A = %q", a.code)
	}
}
