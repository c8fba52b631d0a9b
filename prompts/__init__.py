"""Every prompt of the product, as a template file beside this module."""
