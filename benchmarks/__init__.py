"""Timing scripts for course_utils; each can be run directly or imported by another bench script."""
