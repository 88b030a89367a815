"""The error services raise for a refused action: a stable code and a Chinese sentence."""


class ServiceError(Exception):
    def __init__(self, code: str, message: str, field: str = ""):
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field
