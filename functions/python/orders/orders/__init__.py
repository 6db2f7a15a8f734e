"""Order arithmetic, a package of the function's own (a folder with __init__.py)."""
from .pricing import total
