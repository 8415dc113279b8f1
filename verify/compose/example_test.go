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

// Scripts and constructs are what runs besides the images.
func ExampleParse_scripts() {
	c, err := compose.Parse([]byte(`{"runner":"docker-compose","pre_launch_script":"docker login",` +
		`"docker_compose_file":"include: [more.yaml]\nservices:\n  web:\n    image: nginx:1.27\n"}`))
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, s := range c.Scripts {
		fmt.Printf("%s %x\n", s.Kind, s.SHA256[:4])
	}
	for _, k := range c.Constructs {
		fmt.Println(k.Name, "at line", k.Line)
	}
	// Output:
	// pre_launch_script b61d0f7a
	// include at line 1
}
