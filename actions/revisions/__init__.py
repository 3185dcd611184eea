"""Versions of the text people sign: a statement's and a petition's words,
kept whenever they change after signatures exist; each signature names its
version."""
