"""Reading Windows media: ISO files and directory trees behind one read-only interface, and edition detection."""
