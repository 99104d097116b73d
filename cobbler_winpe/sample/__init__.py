"""Built-in sample: Windows-like media made with wimlib-imagex and genisoimage, for tests and the demo."""
