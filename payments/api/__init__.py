"""HTTP API: flask-smorest blueprints, thin views over services."""
