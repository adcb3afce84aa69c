#!/usr/bin/env bash
# Placeholder (issue #4): replaced by the slice that owns it. Exit 77 = skipped.
echo "not written yet"; exit 77
