import { Check, Column, CreateDateColumn, Entity, Index, PrimaryGeneratedColumn, Unique, UpdateDateColumn } from 'typeorm';

export enum Role {
  Customer = 'customer',
  Admin = 'admin',
}

/** Constraint and index names match the migrations, so `migration:generate` sees no difference. */
@Entity({ name: 'users' })
@Unique('users_email_unique', ['email'])
@Check('users_email_lowercase', 'email = lower(email)')
@Check('users_role_check', `role IN ('customer', 'admin')`)
@Index('users_created_at_id', { synchronize: false })
export class User {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  /** Always stored lower-case: e-mail uniqueness is case-insensitive. */
  @Column({ type: 'varchar', length: 254 })
  email: string;

  @Column({ type: 'varchar', length: 100 })
  name: string;

  @Column({ name: 'password_hash', type: 'text' })
  passwordHash: string;

  @Column({ type: 'varchar', length: 16, default: Role.Customer })
  role: Role;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz', precision: 3 })
  createdAt: Date;

  @UpdateDateColumn({ name: 'updated_at', type: 'timestamptz', precision: 3 })
  updatedAt: Date;
}
