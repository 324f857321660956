"""dashboard users, one-time sign-in links, and who made a manual ledger entry

Revision ID: dashboard
Revises: engagement
Create Date: 2026-11-26
"""
from alembic import op
import sqlalchemy as sa


revision = 'dashboard'
down_revision = 'engagement'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('dashboard_users',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('email', sa.String(length=320), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_sign_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('sessions_valid_after', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_dashboard_users_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_users')),
    sa.UniqueConstraint('shop_id', 'email', name=op.f('uq_dashboard_users_shop_id_email'))
    )
    op.create_table('dashboard_sign_in_links',
    sa.Column('id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('user_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_dashboard_sign_in_links_shop_id_shops'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['dashboard_users.id'], name=op.f('fk_dashboard_sign_in_links_user_id_dashboard_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dashboard_sign_in_links')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_dashboard_sign_in_links_token_hash'))
    )
    op.create_index(op.f('ix_dashboard_sign_in_links_user_id'), 'dashboard_sign_in_links', ['user_id'], unique=False)
    with op.batch_alter_table('ledger_entries') as batch_op:
        batch_op.add_column(sa.Column('actor', sa.String(length=320), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('ledger_entries') as batch_op:
        batch_op.drop_column('actor')
    op.drop_index(op.f('ix_dashboard_sign_in_links_user_id'), table_name='dashboard_sign_in_links')
    op.drop_table('dashboard_sign_in_links')
    op.drop_table('dashboard_users')
