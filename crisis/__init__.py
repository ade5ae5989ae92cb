"""The core of the crisis centre: vocabulary, lifecycle, storage, events, jobs, auth, web plumbing."""
