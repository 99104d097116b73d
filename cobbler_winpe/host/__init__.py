"""Host I/O: writing trees, Samba accounts, reading driver folders; what the pure generators (gen/) plan."""
