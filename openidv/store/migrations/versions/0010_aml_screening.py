"""sanctions/PEP screening of verifications: partner policy and monitoring, results

Revision ID: 0010_aml_screening
Revises: 0009_aml_lists
Create Date: 2026-12-02 02:15:00
"""
from alembic import op
import sqlalchemy as sa


revision = '0010_aml_screening'
down_revision = '0009_aml_lists'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('aml_screening', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('aml_monitoring', sa.Boolean(), server_default=sa.false(), nullable=False))
    op.create_table('aml_screenings',
    sa.Column('verification_id', sa.Integer(), nullable=False),
    sa.Column('partner_id', sa.Integer(), nullable=False),
    sa.Column('monitoring', sa.Boolean(), nullable=False),
    sa.Column('state', sa.String(length=20), nullable=False),
    sa.Column('error', sa.String(length=300), nullable=True),
    sa.Column('person', sa.JSON(), nullable=False),
    sa.Column('person_key', sa.String(length=64), nullable=True),
    sa.Column('hits', sa.JSON(), nullable=False),
    sa.Column('lists', sa.JSON(), nullable=False),
    sa.Column('screened_at', sa.DateTime(), nullable=False),
    sa.Column('rescreened_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], ),
    sa.ForeignKeyConstraint(['verification_id'], ['verifications.id'], ),
    sa.PrimaryKeyConstraint('verification_id')
    )
    with op.batch_alter_table('aml_screenings', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_aml_screenings_partner_id'), ['partner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('aml_screenings', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_aml_screenings_partner_id'))
    op.drop_table('aml_screenings')
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('aml_monitoring')
        batch_op.drop_column('aml_screening')
