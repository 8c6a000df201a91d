package schema

import (
	"fmt"
	"strings"

	"github.com/distribution/reference"
)

// CheckRegistry checks a docker_registry: a registry host, with an
// optional namespace, as the image reference grammar Docker uses reads it
// (registry.example.com/rpa, ghcr.io/acme, localhost:5000, docker.io/acme).
// The message says what is wrong, "" when nothing is.
func CheckRegistry(registry string) string {
	if registry == "" {
		return ""
	}
	if strings.HasPrefix(registry, "-") || strings.ContainsAny(registry, " \t\n@") {
		return fmt.Sprintf("docker_registry %q is not a registry (such as registry.example.com/team)", registry)
	}
	if _, err := reference.ParseNamed(strings.TrimSuffix(registry, "/") + "/image"); err != nil {
		return fmt.Sprintf("docker_registry %q is not a registry (such as registry.example.com/team): %v", registry, err)
	}
	return ""
}

// CheckImage checks an image reference (name:tag), with the tag's Prefect
// placeholder, if any, standing for a valid tag. The message says what is
// wrong, "" when nothing is.
func CheckImage(image string) string {
	ref := image
	if i := strings.Index(ref, "{{"); i >= 0 {
		if j := strings.Index(ref[i:], "}}"); j >= 0 {
			ref = ref[:i] + "tag" + ref[i+j+2:]
		}
	}
	if strings.HasPrefix(ref, "-") {
		return fmt.Sprintf("image %q starts with '-'", image)
	}
	if _, err := reference.ParseNormalizedNamed(ref); err != nil {
		msg := fmt.Sprintf("image %q is not a valid image reference: %v", image, err)
		if strings.ToLower(ref) != ref && !strings.Contains(msg, "lowercase") {
			msg += " (image names are lower case)"
		}
		return msg
	}
	return ""
}

// DockerHub reports whether a registry names Docker Hub explicitly.
func DockerHub(registry string) bool {
	host, _, _ := strings.Cut(registry, "/")
	return host == "docker.io" || host == "index.docker.io" || host == "registry-1.docker.io"
}
