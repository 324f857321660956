"""marshmallow schemas: shape and format only, never business rules."""
