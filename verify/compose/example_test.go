package compose_test

import (
	"fmt"

	"github.com/cvmgate/cvmgate/verify/compose"
)

func ExampleParse() {
	c, err := compose.Parse([]byte(`{"docker_compose_file":"services:\n  web:\n    image: nginx:1.27\n"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range c.Services {
		fmt.Println(s.Name, s.Image, s.Pinned)
	}
	// Output:
	// web nginx:1.27 false
}
