"""Knowledge base: validated answers, French-aware search and the auto-answer."""
