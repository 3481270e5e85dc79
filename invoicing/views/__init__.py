"""Invoicing pages: `invoices` (invoices, credit notes, payments, PDF) and `orders` (the
invoicing actions on sale orders: Create Invoice and the billing run)."""
