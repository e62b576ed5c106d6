package server

import (
	"mime/multipart"
	"strings"
)

// newMultipart writes a form with the CSRF token and one file; it returns the content type.
func newMultipart(b *strings.Builder, csrf, name, content string) string {
	w := multipart.NewWriter(b)
	_ = w.WriteField("_csrf", csrf)
	f, _ := w.CreateFormFile("file", name)
	_, _ = f.Write([]byte(content))
	_ = w.Close()
	return w.FormDataContentType()
}
