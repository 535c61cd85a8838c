"""Registry API: beneficiaries, enrolments, payment instruments, holds, the recipients of what is
owed to the dead, imports, reference data.

One blueprint for the application and one tag in the OpenAPI document; each resource is a
blueprint of its own module, nested here in the order the document lists them.
"""

from flask_smorest import Blueprint

from payments.api.registry import beneficiaries, enrolments, imports, instruments, recipients, reference

blp = Blueprint("registry", __name__, url_prefix="/api/v1", description="Beneficiary registry")
blp.register_blueprint(beneficiaries.blp)
blp.register_blueprint(enrolments.blp)
blp.register_blueprint(instruments.blp)
blp.register_blueprint(recipients.blp)
blp.register_blueprint(imports.blp)
blp.register_blueprint(reference.blp)
