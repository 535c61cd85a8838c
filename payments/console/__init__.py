"""The web console: server-rendered pages for officers, approvers, finance staff and auditors.

A Flask blueprint under /console (Jinja templates, one hand-written stylesheet, no front-end
build). Views are thin: they call the same services as the API and render what they return.
Sign-in is by password (scrypt) with a signed session cookie; every POST carries a CSRF
token; every page declares the roles it admits and is refused to everyone else.
"""
