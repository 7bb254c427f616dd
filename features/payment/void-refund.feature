@payment
Feature: Payment — void (撤销) and refund (退货)
  A void cancels a sale of the current batch; a refund returns money for an earlier sale. Both must
  name the original transaction so the acquirer can match it, and undo the debit exactly once.

  @CUP-PAY-020 @severity:critical @mandatory @contact @printer
  Scenario: Void of a sale in the current batch
    Given a sale of 150.00 was approved for card UP-DEBIT-IC by inserting
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a void request
    And it refers to the original transaction
    And its amount is 150.00
    And its MAC is present and valid
    And the host approved it
    And the balance of card UP-DEBIT-IC is unchanged
    And every copy shows "撤销"

  # An original reference typed one character short (an RRN is 12 characters, F37 an12) may be refused
  # at the keypad or sent and declined, but never sent as a reference no acquirer issues.
  @CUP-PAY-021 @severity:critical @mandatory @contact @printer
  Scenario: Refund of an earlier sale
    Given a sale of 200.00 was approved for card UP-DEBIT-IC by inserting
    When the operator refunds 80.00 of the last transaction with card UP-DEBIT-IC by inserting, typing its reference number one character short
    Then no request named an incomplete original reference
    When the operator refunds 80.00 of the last transaction with card UP-DEBIT-IC by inserting
    Then the screen shows "交易成功"
    And the host received a refund request
    And it refers to the original reference number
    And its amount is 80.00
    And its MAC is present and valid
    And the host approved it
    And the card UP-DEBIT-IC is debited 120.00
    And every copy shows "退货"

  # 免签 (and 免密) waive the PIN and signature of a 消费 tapped under the QuickPass limits only (TTP
  # profile table, contactless limits); a refund is no purchase, so its merchant copy asks for the
  # cardholder's signature whatever the entry method and amount (cup8583.md §6). Every copy of every case
  # is judged so after each step (drivers/signature-waiver.ts); this case gives that check a tap of
  # another kind well under any limit.
  @CUP-PAY-044 @severity:normal @mandatory @contactless @printer
  Scenario: A refund tapped under the QuickPass limits still asks for the signature
    Given a sale of 5.00 was approved for card UP-DEBIT-CTLS by tapping
    When the operator refunds 5.00 of the last transaction with card UP-DEBIT-CTLS by tapping
    Then the screen shows "交易成功"
    And the host received a refund request
    And the host approved it
    And the merchant copy has a signature line
    And no copy is marked 免密 or 免签

  @CUP-PAY-022 @severity:normal @mandatory @printer
  Scenario: Void of a voucher number the terminal does not have is refused locally
    When the operator voids voucher number "999999"
    Then the screen shows "无此交易"
    And the host received no financial request

  # The supervisor password (主管密码) is what the terminal's profile declares (supervisor.password):
  # a terminal that declares one asks it before a void or refund and refuses a wrong one without
  # sending anything; one that declares none asks nothing. The same steps judge both.
  @CUP-PAY-023 @severity:critical @mandatory @contact
  Scenario: A void asks the supervisor password the terminal declares and refuses a wrong one
    Given a sale of 150.00 was approved for card UP-DEBIT-IC by inserting
    When the operator voids the last transaction with card UP-DEBIT-IC by inserting, giving a wrong supervisor password
    Then the supervisor password was asked and checked as the terminal declares
    When the operator voids it again with card UP-DEBIT-IC by inserting unless the host approved its void
    Then the host approved exactly one void
    And it refers to the original transaction
    And the balance of card UP-DEBIT-IC is unchanged

  @CUP-PAY-024 @severity:critical @mandatory @contact
  Scenario: A refund asks the supervisor password the terminal declares and refuses a wrong one
    Given a sale of 200.00 was approved for card UP-DEBIT-IC by inserting
    When the operator refunds 80.00 of the last transaction with card UP-DEBIT-IC by inserting, giving a wrong supervisor password
    Then the supervisor password was asked and checked as the terminal declares
    When the operator refunds 80.00 of it again with card UP-DEBIT-IC by inserting unless the host approved its refund
    Then the host approved exactly one refund
    And it refers to the original reference number
    And the card UP-DEBIT-IC is debited 120.00
