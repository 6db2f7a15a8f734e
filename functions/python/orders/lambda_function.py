# A multi-module Python function: its own package (orders/) and a pure-Python dependency
# vendored at the zip's root (jmespath/, as `pip install -t .` leaves it).
# Event: {"orders": [{"id": ..., "status": ..., "lines": [{"sku", "qty", "price"}]}],
#         "select": "<a JMESPath expression picking orders>"}
import logging

import jmespath
from orders import total

logger = logging.getLogger()
logger.setLevel(logging.INFO)


def lambda_handler(event, context):
    picked = jmespath.search(event.get('select', 'orders[]'), event) or []
    logger.info('%d of %d orders picked', len(picked), len(event.get('orders', [])))
    return {
        'orders': [{'id': order['id'], **total(order['lines'])} for order in picked],
        'jmespath': jmespath.__version__,
    }
