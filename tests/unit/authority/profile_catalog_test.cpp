// Placeholder: filled by the slice that owns it (issue #4).
