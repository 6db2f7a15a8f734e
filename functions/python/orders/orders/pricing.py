from decimal import Decimal, ROUND_HALF_UP

VAT = Decimal('0.20')


def total(lines):
    """Net, VAT and gross of order lines ({"qty": int, "price": "decimal string"}), to the cent."""
    net = sum((Decimal(str(line['price'])) * line['qty'] for line in lines), Decimal('0'))
    cent = Decimal('0.01')
    vat = (net * VAT).quantize(cent, rounding=ROUND_HALF_UP)
    return {'net': str(net.quantize(cent)), 'vat': str(vat), 'gross': str((net + vat).quantize(cent))}
