"""Rendering for people: flow graphs (Mermaid, DOT) and the one-line words of a run's steps."""
