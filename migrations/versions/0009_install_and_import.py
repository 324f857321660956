"""install and import: expiring platform tokens, spent OAuth states, CSV import batches

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

BigId = sa.BigInteger().with_variant(sa.Integer(), 'sqlite')


def upgrade() -> None:
    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.add_column(sa.Column('refresh_token_encrypted', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('access_token_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('refresh_token_expires_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('scopes', sa.String(length=1024), nullable=True))

    op.create_table('used_oauth_states',
    sa.Column('state_hash', sa.String(length=64), nullable=False),
    sa.Column('shop_domain', sa.String(length=255), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('state_hash', name=op.f('pk_used_oauth_states'))
    )
    with op.batch_alter_table('used_oauth_states', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_used_oauth_states_used_at'), ['used_at'], unique=False)

    op.create_table('import_batches',
    sa.Column('id', BigId, nullable=False),
    sa.Column('shop_id', BigId, nullable=False),
    sa.Column('status', sa.Enum('applying', 'applied', 'failed', 'reverting', 'reverted', name='importstatus', native_enum=False, length=32), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('rows_total', sa.Integer(), nullable=False),
    sa.Column('last_line', sa.Integer(), nullable=False),
    sa.Column('rows_applied', sa.Integer(), nullable=False),
    sa.Column('accounts_created', sa.Integer(), nullable=False),
    sa.Column('points_credited', sa.BigInteger(), nullable=False),
    sa.Column('points_debited', sa.BigInteger(), nullable=False),
    sa.Column('rows_reverted', sa.Integer(), nullable=False),
    sa.Column('revert_debt', sa.BigInteger(), nullable=False),
    sa.Column('revert_shortfall', sa.BigInteger(), nullable=False),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('applied_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_import_batches_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_batches'))
    )
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.create_index('ix_import_batches_shop_id_file', ['shop_id', 'file_sha256'], unique=False)

    op.create_table('import_rows',
    sa.Column('id', BigId, nullable=False),
    sa.Column('shop_id', BigId, nullable=False),
    sa.Column('batch_id', BigId, nullable=False),
    sa.Column('line', sa.Integer(), nullable=False),
    sa.Column('account_id', BigId, nullable=False),
    sa.Column('account_created', sa.Boolean(), nullable=False),
    sa.Column('points', sa.BigInteger(), nullable=False),
    sa.Column('points_applied', sa.BigInteger(), nullable=False),
    sa.Column('entry_id', BigId, nullable=True),
    sa.Column('revert_entry_id', BigId, nullable=True),
    sa.Column('reverted_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['customer_accounts.id'], name=op.f('fk_import_rows_account_id_customer_accounts'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['batch_id'], ['import_batches.id'], name=op.f('fk_import_rows_batch_id_import_batches'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['entry_id'], ['ledger_entries.id'], name=op.f('fk_import_rows_entry_id_ledger_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['revert_entry_id'], ['ledger_entries.id'], name=op.f('fk_import_rows_revert_entry_id_ledger_entries'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_import_rows_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_import_rows')),
    sa.UniqueConstraint('batch_id', 'line', name=op.f('uq_import_rows_batch_id_line'))
    )


def downgrade() -> None:
    op.drop_table('import_rows')
    with op.batch_alter_table('import_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_import_batches_shop_id_file')
    op.drop_table('import_batches')

    with op.batch_alter_table('used_oauth_states', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_used_oauth_states_used_at'))
    op.drop_table('used_oauth_states')

    with op.batch_alter_table('shop_credentials', schema=None) as batch_op:
        batch_op.drop_column('scopes')
        batch_op.drop_column('refresh_token_expires_at')
        batch_op.drop_column('access_token_expires_at')
        batch_op.drop_column('refresh_token_encrypted')
