"""Business errors. Each family has a stable `code`; HTTP mapping lives in api/errors.py."""

from typing import Any


class PaymentsError(Exception):
    code = "payments_error"
    title = "Request could not be completed"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra

    def __reduce__(self) -> tuple[Any, ...]:
        # Subclasses' constructors take other arguments than `args`: rebuild from the state, so
        # that an error raised in a helper process arrives whole (payments.aside).
        return (_rebuilt, (type(self), self.args, self.__dict__))


def _rebuilt(cls: type[PaymentsError], args: tuple[Any, ...], state: dict[str, Any]) -> PaymentsError:
    error = cls.__new__(cls)
    error.args = args
    error.__dict__.update(state)
    return error


class NotFound(PaymentsError):
    code = "not_found"
    title = "Not found"


class Conflict(PaymentsError):
    """The request contradicts what is already recorded (a duplicate key, a changed manifest)."""

    code = "conflict"
    title = "Conflict with recorded state"


class RuleViolation(PaymentsError):
    """A business rule refuses the request (maker approving own batch, gapped rate validity)."""

    code = "rule_violation"
    title = "Business rule violated"


class InvalidInput(PaymentsError):
    """Input that passed the schema but is still wrong (a bad cursor, a malformed file line)."""

    code = "invalid_input"
    title = "Invalid input"


class Unauthorized(PaymentsError):
    code = "unauthorized"
    title = "Authentication required"


class Forbidden(PaymentsError):
    code = "forbidden"
    title = "Not allowed for your role"


class ConfigError(PaymentsError):
    """Configuration is missing or unsafe; the process must not start."""

    code = "config_error"
    title = "Configuration error"
