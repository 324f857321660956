"""platform credentials

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-25
"""
from alembic import op
import sqlalchemy as sa


revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('shop_credentials',
    sa.Column('shop_id', sa.BigInteger().with_variant(sa.Integer(), 'sqlite'), nullable=False),
    sa.Column('api_url', sa.String(length=255), nullable=True),
    sa.Column('store_hash', sa.String(length=64), nullable=True),
    sa.Column('api_version', sa.String(length=32), nullable=True),
    sa.Column('access_token_encrypted', sa.Text(), nullable=True),
    sa.Column('consumer_key_encrypted', sa.Text(), nullable=True),
    sa.Column('consumer_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('secret_key_encrypted', sa.Text(), nullable=True),
    sa.Column('client_secret_encrypted', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['shop_id'], ['shops.id'], name=op.f('fk_shop_credentials_shop_id_shops'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('shop_id', name=op.f('pk_shop_credentials'))
    )


def downgrade() -> None:
    op.drop_table('shop_credentials')
