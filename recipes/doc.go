// Package recipes is a placeholder.
package recipes
