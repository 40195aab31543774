package versions

import (
	"strings"
	"testing"
)

// FuzzParse: any input is either an error or a file whose version is a
// release version and whose modules are listed once each.
func FuzzParse(f *testing.F) {
	f.Add(goodFile)
	f.Add("version v1.0.0-rc.1\nrelease example.com/a\n")
	f.Add("version v1.0.0\n\trelease\texample.com/a \n#x\nexclude example.com/b\n")
	f.Fuzz(func(t *testing.T, in string) {
		file, err := Parse("fuzz", strings.NewReader(in))
		if err != nil {
			return
		}
		if err := CheckVersion(file.Version); err != nil {
			t.Fatalf("Parse accepted version %q: %v", file.Version, err)
		}
		seen := map[string]bool{}
		for _, p := range append(append([]string(nil), file.Released...), file.Excluded...) {
			if seen[p] {
				t.Fatalf("Parse accepted %s twice", p)
			}
			seen[p] = true
		}
		if len(file.Released) == 0 {
			t.Fatal("Parse accepted a file with no released module")
		}
	})
}
